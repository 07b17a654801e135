//! What the console's face-policy page shows beside the thresholds: the
//! error rates `visage face eval` measured (README "Accuracy"; dev pairs for
//! calibration, test pairs for reporting — never tuned on test).

pub struct Rate {
    pub set: &'static str,
    pub split: &'static str,
    pub pairs: &'static str,
    pub threshold: &'static str,
    pub fmr: &'static str,
    pub fnmr: &'static str,
}

pub const MEASURED: [Rate; 4] = [
    Rate {
        set: "shared (YuNet-320)",
        split: "dev",
        pairs: "108 / 838",
        threshold: "0.43",
        fmr: "0 / 838",
        fnmr: "0 / 108",
    },
    Rate {
        set: "shared (YuNet-320)",
        split: "test",
        pairs: "32 / 104",
        threshold: "0.43",
        fmr: "0 / 104",
        fnmr: "2 / 32 (6.3 %)",
    },
    Rate {
        set: "registry (RetinaFace)",
        split: "dev",
        pairs: "108 / 838",
        threshold: "0.46",
        fmr: "0 / 838",
        fnmr: "1 / 108 (0.9 %)",
    },
    Rate {
        set: "registry (RetinaFace)",
        split: "test",
        pairs: "32 / 104",
        threshold: "0.46",
        fmr: "0 / 104",
        fnmr: "3 / 32 (9.4 %)",
    },
];
