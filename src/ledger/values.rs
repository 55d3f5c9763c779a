//! Small values typed at the command line, parsed once at the edge.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// A count of people or units: a whole number from 0 to [`Count::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Count(pub u64);

impl Count {
    /// Far above any drive or national year, far below integer overflow.
    pub const MAX: u64 = 1_000_000_000;
}

impl FromStr for Count {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.chars().filter(|c| *c != '_' && *c != ' ').collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("`{s}` is not a count; give a whole number such as 838"));
        }
        match digits.parse::<u64>() {
            Ok(n) if n <= Count::MAX => Ok(Count(n)),
            _ => Err(format!("`{s}` is too large; a count is at most {}", Count::MAX)),
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A date as typed: `YYYY-MM-DD`, `today` or `yesterday`. Resolved against
/// the ledger's idea of today (which `BLOODLEDGER_TODAY` can fix for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateArg {
    Today,
    Yesterday,
    On(NaiveDate),
}

impl DateArg {
    pub fn resolve(self, today: NaiveDate) -> NaiveDate {
        match self {
            DateArg::Today => today,
            DateArg::Yesterday => today.pred_opt().unwrap_or(today),
            DateArg::On(date) => date,
        }
    }
}

impl FromStr for DateArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("today") {
            Ok(DateArg::Today)
        } else if s.eq_ignore_ascii_case("yesterday") {
            Ok(DateArg::Yesterday)
        } else {
            parse_iso_date(s).map(DateArg::On)
        }
    }
}

/// The earliest year a date may name: older dates are typing mistakes.
pub const FIRST_YEAR: i32 = 1900;

/// Strict `YYYY-MM-DD` with a real calendar day.
pub fn parse_iso_date(s: &str) -> Result<NaiveDate, String> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(format!(
            "`{s}` is not a date; write YYYY-MM-DD (e.g. 2026-07-16), `today` or `yesterday`"
        ));
    }
    // Digits only, by the shape check: read them directly (imports parse
    // millions of dates, and chrono's format parser was a tenth of that).
    let number = |range: std::ops::Range<usize>| {
        s.as_bytes()[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4) as i32, number(5..7), number(8..10));
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("`{s}` is not a day in the calendar; check the month and day"))?;
    if year < FIRST_YEAR {
        return Err(format!("`{s}` is before {FIRST_YEAR}; check the year"));
    }
    Ok(date)
}

/// Why units left a drive's stock other than by transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiscardReason {
    Expired,
    Reactive,
    Damaged,
    Incomplete,
    Other,
}

impl DiscardReason {
    pub const ALL: [DiscardReason; 5] = [
        DiscardReason::Expired,
        DiscardReason::Reactive,
        DiscardReason::Damaged,
        DiscardReason::Incomplete,
        DiscardReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiscardReason::Expired => "expired",
            DiscardReason::Reactive => "reactive",
            DiscardReason::Damaged => "damaged",
            DiscardReason::Incomplete => "incomplete",
            DiscardReason::Other => "other",
        }
    }
}

impl FromStr for DiscardReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = match wanted.as_str() {
            "reactive-test" | "reactive test" => "reactive",
            other => other,
        };
        DiscardReason::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                format!("`{s}` is not a discard reason; use expired, reactive, damaged, incomplete or other")
            })
    }
}

impl fmt::Display for DiscardReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_whole_non_negative_numbers() {
        assert_eq!("838".parse::<Count>(), Ok(Count(838)));
        assert_eq!("40 544".parse::<Count>(), Ok(Count(40544)));
        assert!("-1".parse::<Count>().is_err());
        assert!("1.5".parse::<Count>().is_err());
        assert!("1e3".parse::<Count>().is_err());
        assert!("".parse::<Count>().is_err());
        assert!("99999999999999999999999".parse::<Count>().is_err());
    }

    #[test]
    fn dates_are_strict() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let parse = |s: &str| s.parse::<DateArg>().map(|d| d.resolve(today));
        assert_eq!(parse("2021-07-16"), Ok(NaiveDate::from_ymd_opt(2021, 7, 16).unwrap()));
        assert_eq!(parse("today"), Ok(today));
        assert_eq!(parse("Yesterday"), Ok(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()));
        for bad in [
            "2021-7-16",
            "2021-02-30",
            "0000-00-00",
            "16/07/2021",
            "1899-12-31",
            "2021-07-16x",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
