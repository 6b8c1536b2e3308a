//! The SVG elements the diagram is built from, written as text: escaped
//! character data, numbers with at most one decimal, `<text>`, `<rect>`
//! and the red arrows, with the font and colours they use. The width of a
//! text is estimated here too, from its length in the monospace font.

use std::fmt::Write as _;

/// Writes into a `String`, which cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}
pub(super) use put;

/// The font of every text: its width per character is what the layout
/// estimates.
pub(super) const FONT_FAMILY: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/// A monospace glyph's advance, in ems (DejaVu Sans Mono: 0.602), rounded
/// up so that estimates err on the wide side.
const CHAR_EM: f64 = 0.62;

pub(super) const RED: &str = "#c62828";
pub(super) const RED_FILL: &str = "#ffebee";
pub(super) const RED_CELL: &str = "#ffcdd2";
pub(super) const CHANGED_FILL: &str = "#c8e6c9";
pub(super) const SHARED_FILL: &str = "#e3f2fd";
pub(super) const LOCK_FILL: &str = "#ffe082";
pub(super) const STRIPE: &str = "#f5f5f5";
pub(super) const GREY: &str = "#616161";
/// An interrupted update's last box: its outline and text, and its fill.
pub(super) const INTERRUPTED: &str = "#e65100";
pub(super) const INTERRUPTED_FILL: &str = "#fff3e0";
pub(super) const BORDER: &str = "#9e9e9e";

/// `text` made safe for XML character data and attribute values: the five
/// special characters as entities, and the characters XML 1.0 cannot hold
/// at all, even as references (the control characters other than tab and
/// line breaks, and the noncharacters `U+FFFE` and `U+FFFF`), as `U+FFFD`.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The estimated width of `text` at font size `size`.
pub(super) fn width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_EM
}

/// A number for an attribute: at most one decimal.
pub(super) fn num(x: f64) -> String {
    // Adding 0 turns -0 into 0.
    let rounded = (x * 10.0).round() / 10.0 + 0.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// `<text …>escaped</text>`, with `attrs` added to the element.
pub(super) fn text(out: &mut String, x: f64, y: f64, size: f64, attrs: &str, content: &str) {
    put!(
        out,
        r#"<text x="{}" y="{}" font-size="{}"{}{attrs}>{}</text>"#,
        num(x),
        num(y),
        num(size),
        if attrs.is_empty() { "" } else { " " },
        escape(content)
    );
    out.push('\n');
}

/// `<rect …/>`, with `attrs` added to the element.
pub(super) fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
    put!(
        out,
        r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
        num(x),
        num(y),
        num(w),
        num(h)
    );
    out.push('\n');
}

/// A red arrow from `(x1, y1)` across to `x2`, then down to `(x2, y2)`
/// (below `y1`), with a rounded corner.
pub(super) fn elbow(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let direction = if x2 >= x1 { 1.0 } else { -1.0 };
    // The line stops at the arrowhead's base.
    let end = y2 - ARROWHEAD;
    let radius = 8.0_f64.min(end - y1).max(0.0);
    put!(
        out,
        "<path d=\"M {} {} H {} Q {} {} {} {} V {}\" fill=\"none\" stroke=\"{RED}\" stroke-width=\"2\"/>\n",
        num(x1),
        num(y1),
        num(x2 - radius * direction),
        num(x2),
        num(y1),
        num(x2),
        num(y1 + radius),
        num(end),
    );
    arrowhead(out, x2, y2, (0.0, 1.0));
}

/// A straight red arrow, for the legend.
pub(super) fn arrow(out: &mut String, x1: f64, x2: f64, y: f64) {
    put!(
        out,
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{RED}\" stroke-width=\"2\"/>\n",
        num(x1),
        num(x2 - ARROWHEAD),
        y = num(y)
    );
    arrowhead(out, x2, y, (1.0, 0.0));
}

/// The length of an arrowhead.
const ARROWHEAD: f64 = 9.0;

/// A red arrowhead whose tip is at `(x, y)`, pointing along the unit
/// vector `(dx, dy)`.
pub(super) fn arrowhead(out: &mut String, x: f64, y: f64, (dx, dy): (f64, f64)) {
    let (base_x, base_y) = (x - ARROWHEAD * dx, y - ARROWHEAD * dy);
    // Half the base, across the direction.
    let (across_x, across_y) = (-dy * 5.0, dx * 5.0);
    put!(
        out,
        "<polygon points=\"{},{} {},{} {},{}\" fill=\"{RED}\"/>\n",
        num(x),
        num(y),
        num(base_x + across_x),
        num(base_y + across_y),
        num(base_x - across_x),
        num(base_y - across_y),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_the_five_special_characters() {
        assert_eq!(
            escape(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn escape_keeps_other_text_and_replaces_what_xml_cannot_hold() {
        assert_eq!(
            escape("ThreadPoolExecutor-0_1 é → 线程"),
            "ThreadPoolExecutor-0_1 é → 线程"
        );
        assert_eq!(escape("tab\there"), "tab\there");
        assert_eq!(escape("nul\0bell\u{7}"), "nul\u{FFFD}bell\u{FFFD}");
        assert_eq!(escape("\u{FFFE}\u{FFFF}"), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(-2.25), "-2.3");
    }
}
