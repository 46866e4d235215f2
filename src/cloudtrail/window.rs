//! The time window evidence is taken from: `--since` / `--until` as RFC 3339
//! timestamps, dates or `90d`-style durations before now, and the conversion
//! of CloudTrail's `eventTime` (always UTC, `2024-05-01T12:00:00Z`) to seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Default look-back: the 90 days LookupEvents keeps.
pub const DEFAULT_DAYS: i64 = 90;

/// `[since, until)` in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: i64,
    pub until: i64,
}

impl TimeWindow {
    /// From the flags' text. `now` is passed in so tests are deterministic.
    pub fn parse(since: Option<&str>, until: Option<&str>, now: i64) -> Result<Self, String> {
        let since = match since {
            Some(s) => parse_instant(s, now).map_err(|e| format!("--since {s:?}: {e}"))?,
            None => now - DEFAULT_DAYS * 86_400,
        };
        let until = match until {
            Some(s) => parse_instant(s, now).map_err(|e| format!("--until {s:?}: {e}"))?,
            // A second past now so records stamped this second are kept.
            None => now + 1,
        };
        if since >= until {
            return Err(format!(
                "--since ({}) is not before --until ({})",
                format_time(since),
                format_time(until)
            ));
        }
        Ok(TimeWindow { since, until })
    }

    pub fn contains(&self, t: i64) -> bool {
        self.since <= t && t < self.until
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A duration (`90d`, `12h`, `2w`, `30m`) counts back from `now`; anything
/// else must be an RFC 3339 timestamp or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_instant(s: &str, now: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Some(secs) = parse_duration(s) {
        return Ok(now - secs);
    }
    if s.len() == 10 {
        let (y, m, d) = parse_date(s).ok_or("expected YYYY-MM-DD")?;
        return Ok(days_from_civil(y, m, d) * 86_400);
    }
    parse_rfc3339(s).ok_or_else(|| {
        "expected an RFC 3339 time (2024-05-01T00:00:00Z), a date (2024-05-01) or a duration (90d, 12h, 2w)".to_string()
    })
}

fn parse_duration(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let mult = match unit {
        'w' => 7 * 86_400,
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return None,
    };
    n.checked_mul(mult).filter(|v| *v >= 0)
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = num(&s[0..4])? as i64;
    let m = num(&s[5..7])?;
    let d = num(&s[8..10])?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// RFC 3339 with `Z` or a numeric offset, optional fractional seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    // RFC 3339 is ASCII; the fixed byte offsets below may otherwise fall
    // inside a multi-byte character.
    if !s.is_ascii() {
        return None;
    }
    let (y, mo, d) = parse_date(s.get(0..10)?)?;
    let b = s.as_bytes();
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.len() < 19 {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let h = num(&s[11..13])?;
    let mi = num(&s[14..16])?;
    let se = num(&s[17..19])?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh = num(&rest[1..3])? as i64;
            let om = num(&rest[4..6])? as i64;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h as i64 * 3600 + mi as i64 * 60 + se as i64 - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2024-05-01T12:00:00Z`, the form CloudTrail writes.
pub fn format_time(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_offsets() {
        let t = parse_rfc3339("2024-02-29T23:59:58Z").unwrap();
        assert_eq!(format_time(t), "2024-02-29T23:59:58Z");
        assert_eq!(parse_rfc3339("2024-03-01T01:59:58+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2024-02-29T23:59:58.123Z"), Some(t));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00"), None);
    }

    #[test]
    fn multi_byte_characters_are_rejected_not_sliced() {
        // Found by the `trail_record` fuzzer: an `eventTime` whose seconds
        // end inside a two-byte character panicked on a string slice.
        assert_eq!(parse_rfc3339("2024-05-01T12:00:0\u{e9}Z"), None);
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00+0\u{e9}:0"), None);
        assert_eq!(parse_rfc3339("2024-05-01T\u{e9}0:00:00Z"), None);
    }

    #[test]
    fn durations_count_back_from_now() {
        let now = 1_000_000_000;
        assert_eq!(parse_instant("90d", now), Ok(now - 90 * 86_400));
        assert_eq!(parse_instant("2w", now), Ok(now - 14 * 86_400));
        assert_eq!(
            parse_instant("2024-05-01", now).map(format_time).as_deref(),
            Ok("2024-05-01T00:00:00Z")
        );
        assert!(parse_instant("yesterday", now).is_err());
        let w = TimeWindow::parse(None, None, now).unwrap();
        assert_eq!(w.since, now - 90 * 86_400);
        assert!(TimeWindow::parse(Some("1d"), Some("2d"), now).is_err());
    }
}
