//! Go-style durations (`1h`, `30m`, `1h30m`, `90s`, `1.5h`), as Terraform users
//! know them from other providers.

use std::time::Duration;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty input.
    #[error("the duration is empty")]
    Empty,
    /// Not of the form number + unit, repeated.
    #[error("`{0}` is not a duration like `1h`, `45m` or `1h30m`")]
    Malformed(String),
    /// A unit other than h, m, s, ms.
    #[error("`{unit}` in `{input}` is not a unit; use h, m, s or ms")]
    UnknownUnit {
        /// The whole input.
        input: String,
        /// The unit found.
        unit: String,
    },
}

/// Parses a Go-style duration: one or more `<number><unit>` with units
/// `h`, `m`, `s`, `ms`; numbers may have a decimal part. `0` alone is zero.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let malformed = || DurationError::Malformed(input.to_string());
    let mut total_ms: f64 = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(malformed)?;
        if number_len == 0 {
            return Err(malformed());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| malformed())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit_ms = match unit {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1_000.0,
            "ms" => 1.0,
            _ => {
                return Err(DurationError::UnknownUnit {
                    input: input.to_string(),
                    unit: unit.to_string(),
                })
            }
        };
        total_ms += number * unit_ms;
    }
    if !total_ms.is_finite() || total_ms > 1e15 {
        return Err(malformed());
    }
    Ok(Duration::from_millis(total_ms.round() as u64))
}

/// Formats a duration the way Go prints it (`1h0m0s` style, shortened:
/// `1h`, `1h30m`, `45m`, `90s` → `1m30s`).
pub fn format_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || out.is_empty() {
        out.push_str(&format!("{seconds}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_style_durations() {
        let cases = [
            ("1h", 3600),
            ("30m", 1800),
            ("1h30m", 5400),
            ("90s", 90),
            ("1.5h", 5400),
            (" 2h ", 7200),
            ("0", 0),
            ("1h0m0s", 3600),
        ];
        for (input, secs) in cases {
            assert_eq!(
                parse_duration(input),
                Ok(Duration::from_secs(secs)),
                "{input}"
            );
        }
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn refuses_malformed_durations() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        for input in ["h", "1", "abc", "1h30", "-1h", "1..5h", "1e3h"] {
            assert!(parse_duration(input).is_err(), "{input} must fail");
        }
        assert!(
            matches!(parse_duration("2d"), Err(DurationError::UnknownUnit { unit, .. }) if unit == "d")
        );
    }

    #[test]
    fn formats_like_go_without_zero_parts() {
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
