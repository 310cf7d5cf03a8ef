//! Pure parsers behind the `kavka group` options: group states, `--topic T[:P,...]`
//! and `--to-datetime`, with the syntax and messages of `kafka-consumer-groups.sh`.

use super::group_model::GroupState;

/// A `--state` value for `group list`: one of Kafka's classic group states,
/// case-insensitive.
pub fn parse_state_filter(s: &str) -> Result<GroupState, String> {
    let st = GroupState::from_name(s);
    if GroupState::FILTERABLE.contains(&st) {
        return Ok(st);
    }
    let valid: Vec<&str> = GroupState::FILTERABLE.iter().map(|s| s.name()).collect();
    Err(format!(
        "Invalid state list '{s}'. Valid states are: {}",
        valid.join(", ")
    ))
}

/// The partitions of one `--topic` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicSpec {
    /// `orders`: every partition of the topic.
    All(String),
    /// `orders:0,2`: just these.
    Partitions(String, Vec<i32>),
}

impl TopicSpec {
    pub fn topic(&self) -> &str {
        match self {
            TopicSpec::All(t) | TopicSpec::Partitions(t, _) => t,
        }
    }
}

pub fn parse_topic_spec(s: &str) -> Result<TopicSpec, String> {
    let s = s.trim();
    let Some((topic, partitions)) = s.split_once(':') else {
        if s.is_empty() {
            return Err("empty topic name".to_string());
        }
        return Ok(TopicSpec::All(s.to_string()));
    };
    if topic.is_empty() || partitions.is_empty() || partitions.contains(':') {
        return Err(format!(
            "Invalid topic arg '{s}', expected topic name and partitions"
        ));
    }
    let mut ids = Vec::new();
    for p in partitions.split(',') {
        let p = p.trim();
        match p.parse::<i32>() {
            Ok(id) if id >= 0 => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => return Err(format!("Invalid partition '{p}' specified in topic arg '{s}'")),
        }
    }
    Ok(TopicSpec::Partitions(topic.to_string(), ids))
}

/// Parses Kafka's `--to-datetime` format, `YYYY-MM-DDTHH:mm:SS[.sss][zone]`, into
/// milliseconds since the epoch. Without a zone the time is UTC (as in Kafka since
/// 3.x); a zone is `Z`, `±HH`, `±HHMM` or `±HH:MM`. The fraction is a decimal fraction
/// of a second, truncated to milliseconds. Times before 1970 are refused: ListOffsets
/// reads negative timestamps as "earliest"/"latest".
pub fn parse_datetime(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let err = |why: &str| {
        format!("Error parsing timestamp '{s}': {why} (expected YYYY-MM-DDTHH:mm:SS.sss, optionally with a zone like Z or +01:00)")
    };
    let (date, time) = s
        .split_once('T')
        .ok_or_else(|| err("it does not contain a 'T' according to ISO8601 format"))?;

    let date_parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = date_parts.as_slice() else {
        return Err(err("the date is not YYYY-MM-DD"));
    };
    let year = fixed_digits(y, 4).ok_or_else(|| err("bad year"))?;
    let month = fixed_digits(m, 2)
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| err("bad month"))?;
    let day = fixed_digits(d, 2)
        .filter(|d| *d >= 1 && *d <= days_in_month(year, month))
        .ok_or_else(|| err("bad day"))?;
    if year < 1970 {
        return Err(err("times before 1970 cannot be looked up"));
    }

    // The clock part is HH:mm:ss, then an optional fraction, then an optional zone.
    let clock = time.get(..8).ok_or_else(|| err("the time is not HH:mm:ss"))?;
    let rest = &time[8..];
    let clock_parts: Vec<&str> = clock.split(':').collect();
    let [hh, mi, ss] = clock_parts.as_slice() else {
        return Err(err("the time is not HH:mm:ss"));
    };
    let hour = fixed_digits(hh, 2)
        .filter(|h| *h < 24)
        .ok_or_else(|| err("bad hour"))?;
    let minute = fixed_digits(mi, 2)
        .filter(|m| *m < 60)
        .ok_or_else(|| err("bad minute"))?;
    let second = fixed_digits(ss, 2)
        .filter(|s| *s < 60)
        .ok_or_else(|| err("bad second"))?;

    let (millis, zone) = match rest.strip_prefix('.') {
        Some(frac) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return Err(err("bad fraction of a second"));
            }
            // Pad or cut to exactly three digits: ".5" is 500 ms, ".123456" 123 ms.
            let ms: String = frac[..digits].chars().chain("00".chars()).take(3).collect();
            let ms = ms.parse::<i64>().map_err(|_| err("bad fraction of a second"))?;
            (ms, &frac[digits..])
        }
        None => (0, rest),
    };
    let offset_minutes = parse_zone(zone).ok_or_else(|| err("bad zone"))?;

    let days = days_from_civil(year, month, day);
    let local_ms = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
    let utc_ms = local_ms - offset_minutes * 60_000;
    if utc_ms < 0 {
        return Err(err("times before 1970 cannot be looked up"));
    }
    Ok(utc_ms)
}

/// Exactly `n` ASCII digits.
fn fixed_digits(s: &str, n: usize) -> Option<i64> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Minutes east of UTC.
fn parse_zone(z: &str) -> Option<i64> {
    if z.is_empty() || z == "Z" {
        return Some(0);
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &z[1..];
    let (h, m) = match body.len() {
        2 => (body, "00"),
        4 => (&body[..2], &body[2..]),
        5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
        _ => return None,
    };
    // Java's ZoneOffset allows up to ±18:00.
    let h = fixed_digits(h, 2).filter(|h| *h <= 18)?;
    let m = fixed_digits(m, 2).filter(|m| *m < 60)?;
    Some(sign * (h * 60 + m))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (years >= 0): count whole
/// 400-year eras, then days within the era with March as the first month so that
/// the leap day falls at the end of the counted year.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days lie between 0000-03-01 and 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_like_kafka() {
        assert_eq!(parse_state_filter("stable").unwrap(), GroupState::Stable);
        assert_eq!(parse_state_filter("Empty").unwrap(), GroupState::Empty);
        let e = parse_state_filter("bogus").unwrap_err();
        assert_eq!(
            e,
            "Invalid state list 'bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty"
        );
        assert!(parse_state_filter("Assigning").is_err());
    }

    #[test]
    fn topic_specs() {
        assert_eq!(
            parse_topic_spec("orders").unwrap(),
            TopicSpec::All("orders".into())
        );
        assert_eq!(
            parse_topic_spec("orders:2,0,2").unwrap(),
            TopicSpec::Partitions("orders".into(), vec![2, 0])
        );
        assert!(parse_topic_spec("orders:")
            .unwrap_err()
            .contains("expected topic name and partitions"));
        assert!(parse_topic_spec(":1").is_err());
        assert!(parse_topic_spec("a:1:2").is_err());
        assert_eq!(
            parse_topic_spec("t:x").unwrap_err(),
            "Invalid partition 'x' specified in topic arg 't:x'"
        );
        assert!(parse_topic_spec("t:-1").is_err());
        assert!(parse_topic_spec("").is_err());
    }

    #[test]
    fn datetimes_match_known_epochs() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000").unwrap(), 0);
        // date -u -d 2024-01-01T00:00:00Z +%s
        assert_eq!(
            parse_datetime("2024-01-01T00:00:00.000").unwrap(),
            1_704_067_200_000
        );
        assert_eq!(parse_datetime("2024-01-01T00:00:00Z").unwrap(), 1_704_067_200_000);
        // Leap day and a time of day: date -u -d 2024-02-29T13:45:30Z +%s = 1709214330
        assert_eq!(
            parse_datetime("2024-02-29T13:45:30.250").unwrap(),
            1_709_214_330_250
        );
        // Zones: +01:00 is one hour earlier in UTC.
        assert_eq!(
            parse_datetime("2024-01-01T01:00:00.000+01:00").unwrap(),
            1_704_067_200_000
        );
        assert_eq!(
            parse_datetime("2024-01-01T01:00:00+0100").unwrap(),
            1_704_067_200_000
        );
        assert_eq!(
            parse_datetime("2023-12-31T23:00:00-01").unwrap(),
            1_704_067_200_000
        );
        // Fractions are decimal: .5 s is 500 ms; extra digits are truncated.
        assert_eq!(parse_datetime("1970-01-01T00:00:01.5").unwrap(), 1_500);
        assert_eq!(parse_datetime("1970-01-01T00:00:01.123999").unwrap(), 1_123);
        // 2100 is not a leap year, 2000 is.
        assert!(parse_datetime("2100-02-29T00:00:00").is_err());
        assert_eq!(parse_datetime("2000-02-29T00:00:00").unwrap(), 951_782_400_000);
    }

    #[test]
    fn bad_datetimes_are_refused() {
        for s in [
            "2024-01-01",
            "2024-01-01 00:00:00",
            "2024-13-01T00:00:00",
            "2024-01-32T00:00:00",
            "2024-01-01T24:00:00",
            "2024-01-01T00:60:00",
            "2024-01-01T00:00",
            "2024-01-01T00:00:00.",
            "2024-01-01T00:00:00.000+25:00",
            "2024-01-01T00:00:00.000X",
            "1969-12-31T23:59:59",
            "1970-01-01T00:30:00+01:00",
            "24-01-01T00:00:00",
        ] {
            assert!(parse_datetime(s).is_err(), "{s} was accepted");
        }
        assert!(parse_datetime("2024-01-01").unwrap_err().contains("'T'"));
    }

    #[test]
    fn civil_days_agree_with_a_day_by_day_walk() {
        let mut days = 0;
        for y in 1970..2101 {
            for m in 1..=12 {
                for d in 1..=days_in_month(y, m) {
                    assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
                    days += 1;
                }
            }
        }
    }
}
