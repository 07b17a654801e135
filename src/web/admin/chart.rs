//! Server-rendered SVG bar charts for the console (no script, no CDN).

use std::fmt::Write;

use crate::admin::audit_log::Stats;

/// One bar group: a label and up to two stacked values (e.g. successes, failures).
pub struct Bar {
    pub label: String,
    pub a: u32,
    pub b: u32,
}

/// Stacked bars, `a` in the accent colour and `b` in red, with the maximum on
/// the axis and each bar's values in its tooltip. Labels are escaped. An
/// empty first legend draws one series (`b`).
pub fn stacked(title: &str, bars: &[Bar], legend: (&str, &str)) -> String {
    let (w, h, pad) = (720.0_f64, 180.0_f64, 24.0_f64);
    let max = bars.iter().map(|b| b.a + b.b).max().unwrap_or(0).max(1) as f64;
    let step = (w - pad) / bars.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {}" role="img" aria-label="{}"><title>{}</title>"#,
        h + 36.0,
        esc(title),
        esc(title)
    );
    let _ = write!(
        svg,
        r##"<text x="0" y="12" class="axis">{max}</text><line x1="{pad}" y1="{h}" x2="{w}" y2="{h}" stroke="#c9ccd4"/>"##
    );
    for (i, b) in bars.iter().enumerate() {
        let x = pad + i as f64 * step + 1.0;
        let bw = (step - 2.0).max(1.0);
        let ha = (b.a as f64 / max) * (h - 16.0);
        let hb = (b.b as f64 / max) * (h - 16.0);
        let tip = match legend {
            ("", only) => format!("{}: {} {only}", b.label, b.b),
            (first, second) => format!("{}: {} {first}, {} {second}", b.label, b.a, b.b),
        };
        let _ = write!(svg, "<g><title>{}</title>", esc(&tip));
        for (y, height, fill) in [(h - ha, ha, "#3b5bdb"), (h - ha - hb, hb, "#e03131")] {
            if height > 0.0 {
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{height:.1}" fill="{fill}"/>"#
                );
            }
        }
        svg.push_str("</g>");
        if bars.len() <= 8 || i % 4 == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{}" class="axis">{}</text>"#,
                h + 14.0,
                esc(&b.label)
            );
        }
    }
    if legend.0.is_empty() {
        let _ = write!(
            svg,
            r##"<rect x="{pad}" y="{}" width="10" height="10" fill="#e03131"/><text x="{}" y="{}" class="axis">{}</text></svg>"##,
            h + 22.0,
            pad + 14.0,
            h + 31.0,
            esc(legend.1)
        );
        return svg;
    }
    let _ = write!(
        svg,
        r##"<rect x="{pad}" y="{}" width="10" height="10" fill="#3b5bdb"/><text x="{}" y="{}" class="axis">{}</text><rect x="{}" y="{}" width="10" height="10" fill="#e03131"/><text x="{}" y="{}" class="axis">{}</text></svg>"##,
        h + 22.0,
        pad + 14.0,
        h + 31.0,
        esc(legend.0),
        pad + 120.0,
        h + 22.0,
        pad + 134.0,
        h + 31.0,
        esc(legend.1)
    );
    svg
}

/// The four charts of the last 24 hours (overview and audit pages).
pub struct Charts {
    pub sign_ins: String,
    pub by_method: String,
    pub face_failures: String,
    pub lockouts: String,
}

/// Bars of an hourly series, labelled HH:MM (UTC).
fn hourly(series: &[(i64, u32, u32)]) -> Vec<Bar> {
    series
        .iter()
        .map(|(t, a, b)| Bar {
            label: crate::clock::utc_minutes(*t)[11..].to_owned(),
            a: *a,
            b: *b,
        })
        .collect()
}

impl Charts {
    pub fn of(s: &Stats) -> Charts {
        let named = |rows: &[(String, u32, u32)]| -> Vec<Bar> {
            rows.iter()
                .map(|(label, a, b)| Bar {
                    label: label.clone(),
                    a: *a,
                    b: *b,
                })
                .collect()
        };
        let face: Vec<(String, u32, u32)> = s
            .face_failures
            .iter()
            .map(|(r, n)| (r.clone(), 0, *n))
            .collect();
        Charts {
            sign_ins: stacked(
                "Sign-ins per hour by outcome",
                &hourly(&s.sign_ins_per_hour),
                ("succeeded", "failed"),
            ),
            by_method: stacked(
                "Sign-ins by method",
                &named(&s.sign_ins_by_method),
                ("succeeded", "failed"),
            ),
            face_failures: stacked(
                "Failed face checks by reason",
                &named(&face),
                ("", "failed checks"),
            ),
            lockouts: stacked(
                "Lockouts per hour",
                &hourly(&s.lockouts_per_hour),
                ("sign-in lockouts", "face locks"),
            ),
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let bars = vec![
            Bar {
                label: "<a>".into(),
                a: 2,
                b: 2,
            },
            Bar {
                label: "b".into(),
                a: 1,
                b: 0,
            },
        ];
        let svg = stacked("Sign-ins", &bars, ("ok", "failed"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;a&gt;: 2 ok, 2 failed"));
        assert!(!svg.contains("<a>"));
        assert!(
            svg.contains(r#"class="axis">4</text>"#),
            "the axis shows the maximum"
        );
        let face = [Bar {
            label: "blur".into(),
            a: 0,
            b: 3,
        }];
        let one = stacked("Face", &face, ("", "failed checks"));
        assert!(one.contains("blur: 3 failed checks") && !one.contains("#3b5bdb"));
    }
}
