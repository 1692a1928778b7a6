//! A calendar date without a time zone: rules compare dates against the run's `as_of`, never
//! against the wall clock, so results are reproducible.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i32,
}

/// Years outside this range are rejected so day arithmetic can never overflow.
const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1..=9999;

impl Date {
    /// 1970-01-01.
    pub const EPOCH: Date = Date { days: 0 };

    /// The date of `year`-`month`-`day`, or `None` if there is no such day.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !YEAR_RANGE.contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// The date `days` days after 1970-01-01 (negative: before), if its year is in 1..=9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let days = i32::try_from(days).ok()?;
        let date = Date { days };
        YEAR_RANGE.contains(&date.ymd().0).then_some(date)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        i64::from(self.days)
    }

    /// Days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        i64::from(self.days) - i64::from(earlier.days)
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below are the well-known era-based civil calendar algorithms.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

/// A date string that is not `YYYY-MM-DD` or names no real day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a date as `YYYY-MM-DD`")]
pub struct ParseDateError;

impl FromStr for Date {
    type Err = ParseDateError;

    fn from_str(text: &str) -> Result<Date, ParseDateError> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return Err(ParseDateError);
        }
        let number =
            |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| ParseDateError);
        let year = i32::try_from(number(0..4)?).map_err(|_| ParseDateError)?;
        Date::from_ymd(year, number(5..7)?, number(8..10)?).ok_or(ParseDateError)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_and_days() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "0001-01-01",
            "9999-12-31",
        ] {
            let date: Date = text.parse().unwrap();
            assert_eq!(date.to_string(), text);
            assert_eq!(
                Date::from_days_since_epoch(date.days_since_epoch()),
                Some(date)
            );
        }
        assert_eq!("1970-01-02".parse::<Date>().unwrap().days_since_epoch(), 1);
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "20240101",
            "0000-01-01",
            "+024-01-01",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text}");
        }
    }

    #[test]
    fn counts_days_between_dates() {
        let a: Date = "2024-01-01".parse().unwrap();
        let b: Date = "2024-03-01".parse().unwrap();
        assert_eq!(b.days_since(a), 60);
        assert_eq!(a.days_since(b), -60);
    }
}
