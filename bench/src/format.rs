//! Figures as the page and the chart write them: a value in its unit with
//! 3 significant digits ([`format_value`]), a ratio ([`format_ratio`]), the
//! range of a figure's rounds, an integer with commas between thousands, a
//! duration and a date.

use std::time::SystemTime;

use crate::records::Unit;
use crate::workloads::SIZE;

/// A figure in its unit: times in ns, µs, ms or s and sizes in B, KiB, MiB
/// or GiB, with 3 significant digits; counts in full; ratios as `1.95x`.
/// Not a number is "—".
pub fn format_value(value: f64, unit: Unit) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    match unit {
        Unit::Ratio => format_ratio(value),
        _ => {
            let (number, suffix) = scaled(value, unit);
            if suffix.is_empty() {
                number
            } else {
                format!("{number} {suffix}")
            }
        }
    }
}

/// A figure of `metric` in its unit: as [`format_value`], except a type's
/// size ([`SIZE`]), a whole number of bytes shown whole (`4 B`, `1,024 B`)
/// where other memory figures are scaled (`2.60 MiB`).
pub fn format_metric(value: f64, unit: Unit, metric: &str) -> String {
    let whole = value.is_finite() && value >= 0.0 && value.fract() == 0.0;
    if unit == Unit::Bytes && metric == SIZE && whole {
        format!("{} B", thousands(value as u64))
    } else {
        format_value(value, unit)
    }
}

/// A ratio: two decimals from 0.1 to 10 (`1.95x`), fewer above, three
/// significant digits below.
pub fn format_ratio(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "—".to_owned();
    }
    let sign = if ratio < 0.0 { "-" } else { "" };
    let r = ratio.abs();
    let number = if r == 0.0 {
        "0".to_owned()
    } else if r < 0.0995 {
        sig3(r)
    } else if r < 9.995 {
        format!("{r:.2}")
    } else if r < 99.95 {
        format!("{r:.1}")
    } else {
        thousands(r.round() as u64)
    };
    format!("{sign}{number}x")
}

/// The range of `samples` (min–max), when there are at least two.
pub(crate) fn spread(samples: &[f64], unit: Unit) -> Option<String> {
    let finite: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() < 2 {
        return None;
    }
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if unit == Unit::Ratio {
        let (a, b) = (format_ratio(min), format_ratio(max));
        return Some(format!("{}–{b}", a.trim_end_matches('x')));
    }
    let (a, a_suffix) = scaled(min, unit);
    let (b, b_suffix) = scaled(max, unit);
    Some(if a_suffix == b_suffix {
        format!("{a}–{b}{}", suffix_with_space(b_suffix))
    } else {
        format!(
            "{a}{}–{b}{}",
            suffix_with_space(a_suffix),
            suffix_with_space(b_suffix)
        )
    })
}

fn suffix_with_space(suffix: &str) -> String {
    if suffix.is_empty() {
        String::new()
    } else {
        format!(" {suffix}")
    }
}

/// A figure's number and unit suffix: the largest unit in which it is at
/// least 1 (after rounding to 3 significant digits).
fn scaled(value: f64, unit: Unit) -> (String, &'static str) {
    const SECONDS: &[(f64, &str)] = &[(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")];
    const BYTES: &[(f64, &str)] = &[
        (1.0, "B"),
        (1024.0, "KiB"),
        (1024.0 * 1024.0, "MiB"),
        (1024.0 * 1024.0 * 1024.0, "GiB"),
    ];
    let sign = if value < 0.0 { "-" } else { "" };
    let abs = value.abs();
    let scales = match unit {
        Unit::Seconds => SECONDS,
        Unit::Bytes => BYTES,
        Unit::Count => {
            let number = if (abs - abs.round()).abs() < 1e-9 {
                thousands(abs.round() as u64)
            } else {
                sig3(abs)
            };
            return (format!("{sign}{number}"), "");
        }
        Unit::Ratio => return (format_ratio(value).trim_end_matches('x').to_owned(), "x"),
    };
    if abs == 0.0 {
        return ("0".to_owned(), scales[0].1);
    }
    let mut chosen = scales[0];
    for &scale in scales {
        if abs >= scale.0 * 0.9995 {
            chosen = scale;
        }
    }
    (format!("{sign}{}", sig3(abs / chosen.0)), chosen.1)
}

/// A non-negative number with 3 significant digits (all the integer digits
/// from 1,000 up).
pub(crate) fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_owned();
    }
    if x >= 999.5 {
        return thousands(x.round() as u64);
    }
    let magnitude = x.log10().floor() as i32;
    let factor = 10f64.powi(magnitude - 2);
    let rounded = (x / factor).round() * factor;
    let magnitude = rounded.log10().floor() as i32;
    let decimals = (2 - magnitude).max(0) as usize;
    format!("{rounded:.decimals$}")
}

/// An integer with commas between thousands: `10,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration: `42 s`, `12 min 05 s`, `1 h 02 min`.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown".to_owned();
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

/// A time as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_their_unit_with_three_digits() {
        let s = |v| format_value(v, Unit::Seconds);
        assert_eq!(s(5.41e-9), "5.41 ns");
        assert_eq!(s(0.541e-9), "0.541 ns");
        assert_eq!(s(182e-9), "182 ns");
        assert_eq!(s(999.4e-9), "999 ns");
        assert_eq!(s(999.7e-9), "1.00 µs");
        assert_eq!(s(20.14e-6), "20.1 µs");
        assert_eq!(s(45.3e-3), "45.3 ms");
        assert_eq!(s(2.5), "2.50 s");
        assert_eq!(s(1234.0), "1,234 s");
        assert_eq!(s(0.0), "0 ns");
        assert_eq!(s(f64::NAN), "—");
    }

    #[test]
    fn sizes_counts_and_ratios() {
        assert_eq!(format_value(2.6 * 1024.0 * 1024.0, Unit::Bytes), "2.60 MiB");
        assert_eq!(format_value(512.0, Unit::Bytes), "512 B");
        assert_eq!(format_value(-3.0 * 1024.0, Unit::Bytes), "-3.00 KiB");
        assert_eq!(format_value(10_000.0, Unit::Count), "10,000");
        assert_eq!(format_value(8.0, Unit::Count), "8");
        assert_eq!(format_value(8.5, Unit::Count), "8.50");
        assert_eq!(format_value(1.954, Unit::Ratio), "1.95x");
        assert_eq!(format_ratio(0.87), "0.87x");
        assert_eq!(format_ratio(23.84), "23.8x");
        assert_eq!(format_ratio(1234.0), "1,234x");
        assert_eq!(format_ratio(0.0123), "0.0123x");
    }

    #[test]
    fn a_size_is_whole_bytes_and_other_memory_is_scaled() {
        assert_eq!(format_metric(4.0, Unit::Bytes, SIZE), "4 B");
        assert_eq!(format_metric(0.0, Unit::Bytes, SIZE), "0 B");
        assert_eq!(format_metric(1024.0, Unit::Bytes, SIZE), "1,024 B");
        assert_eq!(format_metric(f64::NAN, Unit::Bytes, SIZE), "—");
        // As before, for every other metric.
        assert_eq!(format_value(4.0, Unit::Bytes), "4.00 B");
        assert_eq!(
            format_metric(2.6 * 1024.0 * 1024.0, Unit::Bytes, "memory"),
            "2.60 MiB"
        );
        assert_eq!(format_metric(1024.0, Unit::Bytes, "memory"), "1.00 KiB");
        assert_eq!(format_metric(5.41e-9, Unit::Seconds, "time"), "5.41 ns");
    }

    #[test]
    fn spreads_share_a_unit_when_they_can() {
        assert_eq!(
            spread(&[230e-9, 260e-9, 241e-9], Unit::Seconds).as_deref(),
            Some("230–260 ns")
        );
        assert_eq!(
            spread(&[900e-9, 1.21e-6], Unit::Seconds).as_deref(),
            Some("900 ns–1.21 µs")
        );
        assert_eq!(
            spread(&[1.9, 2.0], Unit::Ratio).as_deref(),
            Some("1.90–2.00x")
        );
        assert_eq!(spread(&[8.0, 9.0], Unit::Count).as_deref(), Some("8–9"));
        assert_eq!(spread(&[1.0], Unit::Seconds), None);
        assert_eq!(spread(&[], Unit::Seconds), None);
    }

    #[test]
    fn dates_and_durations() {
        let at = |secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(format_utc(at(0)), "1970-01-01 00:00 UTC");
        // 2024-02-29 13:45:10 UTC, a leap day.
        assert_eq!(format_utc(at(1_709_214_310)), "2024-02-29 13:45 UTC");
        assert_eq!(format_utc(at(1_767_225_599)), "2025-12-31 23:59 UTC");
        assert_eq!(format_duration(42.4), "42 s");
        assert_eq!(format_duration(725.0), "12 min 05 s");
        assert_eq!(format_duration(3725.0), "1 h 02 min");
        assert_eq!(format_duration(f64::NAN), "unknown");
    }
}
