//! Server-rendered SVG bar charts for the console (no script, no CDN).

use std::fmt::Write;

/// One bar group: a label and up to two stacked values (e.g. successes, failures).
pub struct Bar {
    pub label: String,
    pub a: u32,
    pub b: u32,
}

/// Stacked bars, `a` in the accent colour and `b` in red, with the maximum on
/// the axis and each bar's values in its tooltip. Labels are escaped.
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
        let tip = format!("{}: {} {}, {} {}", b.label, b.a, legend.0, b.b, legend.1);
        let _ = write!(
            svg,
            r##"<g><title>{}</title><rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{ha:.1}" fill="#3b5bdb"/><rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{hb:.1}" fill="#e03131"/></g>"##,
            esc(&tip),
            h - ha,
            h - ha - hb
        );
        if bars.len() <= 8 || i % 4 == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{}" class="axis">{}</text>"#,
                h + 14.0,
                esc(&b.label)
            );
        }
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
    }
}
