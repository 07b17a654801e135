//! What the tests need besides Rust, checked before a test uses it: one
//! clear message per missing service, with the command that provides it,
//! instead of a panic deep in a helper. `scripts/setup.sh --test` installs
//! all of them; `cargo nextest run --profile quick` runs the HTTP tests,
//! which need none.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Service {
    /// Headless Chromium and its driver (browser tests).
    Chromium,
    /// The face models in `models/` (face engine and face-step tests).
    FaceModels,
    /// Frames and fake-camera files in `target/testdata/`.
    TestData,
    /// `../shared/faces` (evaluation and attack tests).
    SharedFaces,
    /// A PostgreSQL server behind `VISAGE_TEST_PG_URL` (when it is set).
    Postgres,
    /// `systemd-analyze` (the packaging test).
    Systemd,
    /// `promtool` (Prometheus's own check of the metrics text).
    Promtool,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn all_exist(files: &[PathBuf]) -> Result<(), String> {
    match files.iter().find(|f| !f.exists()) {
        Some(f) => Err(format!("{} is missing", f.display())),
        None => Ok(()),
    }
}

/// Whether `s` is there; the reason and the remedy when it is not.
pub(crate) fn check(s: Service) -> Result<(), String> {
    let res = match s {
        Service::Chromium => {
            let browser = ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .any(|b| on_path(b));
            if !on_path("chromedriver") {
                Err("chromedriver is not on PATH".to_owned())
            } else if !browser {
                Err("no chromium on PATH".to_owned())
            } else {
                Ok(())
            }
        }
        Service::FaceModels => all_exist(&[root().join("models/manifest.toml")]),
        Service::TestData => {
            let t = root().join("target/testdata");
            all_exist(&[
                t.join("carphone/f001.jpg"),
                t.join("clip/f120.jpg"),
                t.join("face.mjpeg"),
                t.join("still.mjpeg"),
            ])
        }
        Service::SharedFaces => {
            let shared = std::env::var("VISAGE_SHARED_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| root().join("../shared"));
            all_exist(&[
                shared.join("faces/dev/pairs.csv"),
                shared.join("faces/test/pairs.csv"),
            ])
        }
        Service::Promtool => {
            if on_path("promtool") {
                Ok(())
            } else {
                Err("promtool is not on PATH".to_owned())
            }
        }
        Service::Systemd => {
            if on_path("systemd-analyze") {
                Ok(())
            } else {
                Err("systemd-analyze is not on PATH".to_owned())
            }
        }
        Service::Postgres => match std::env::var("VISAGE_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => {
                use diesel::Connection;
                diesel::pg::PgConnection::establish(&url)
                    .map(|_| ())
                    .map_err(|e| format!("cannot connect to VISAGE_TEST_PG_URL: {e}"))
            }
            _ => Ok(()),
        },
    };
    res.map_err(|why| format!("{why}; {}", remedy(s)))
}

fn remedy(s: Service) -> &'static str {
    match s {
        Service::Chromium => "scripts/setup.sh --test installs chromium and chromium-driver",
        Service::FaceModels => "scripts/models.sh installs the face models",
        Service::TestData => "scripts/testdata.sh extracts the frames and camera files",
        Service::SharedFaces => "the face sets come with ../shared (or set VISAGE_SHARED_DIR)",
        Service::Postgres => "scripts/pg.sh starts one, or unset VISAGE_TEST_PG_URL for SQLite",
        Service::Systemd => "scripts/setup.sh --test installs systemd (for systemd-analyze)",
        Service::Promtool => "scripts/setup.sh --test installs prometheus (for promtool)",
    }
}

/// Stop the test here, naming the missing service, when it is not there.
pub(crate) fn require(s: Service) {
    if let Err(m) = check(s) {
        panic!("this test needs {s:?}: {m}");
    }
}

#[test]
fn every_service_is_named_with_its_remedy() {
    for s in [
        Service::Chromium,
        Service::FaceModels,
        Service::TestData,
        Service::SharedFaces,
        Service::Postgres,
        Service::Systemd,
        Service::Promtool,
    ] {
        assert!(!remedy(s).is_empty());
    }
    let missing = all_exist(&[Path::new("/nonexistent/visage").to_path_buf()]).unwrap_err();
    assert!(missing.contains("/nonexistent/visage"), "{missing}");
}
