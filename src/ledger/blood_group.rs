//! ABO/RhD blood groups, as people write them and as the ledger stores them.

use std::fmt;
use std::str::FromStr;

use super::values::Count;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BloodGroup {
    APos,
    ANeg,
    BPos,
    BNeg,
    AbPos,
    AbNeg,
    OPos,
    ONeg,
    Unknown,
}

impl BloodGroup {
    pub const ALL: [BloodGroup; 9] = [
        BloodGroup::APos,
        BloodGroup::ANeg,
        BloodGroup::BPos,
        BloodGroup::BNeg,
        BloodGroup::AbPos,
        BloodGroup::AbNeg,
        BloodGroup::OPos,
        BloodGroup::ONeg,
        BloodGroup::Unknown,
    ];

    /// The one canonical spelling, used in storage and output.
    pub fn as_str(self) -> &'static str {
        match self {
            BloodGroup::APos => "A+",
            BloodGroup::ANeg => "A-",
            BloodGroup::BPos => "B+",
            BloodGroup::BNeg => "B-",
            BloodGroup::AbPos => "AB+",
            BloodGroup::AbNeg => "AB-",
            BloodGroup::OPos => "O+",
            BloodGroup::ONeg => "O-",
            BloodGroup::Unknown => "unknown",
        }
    }
}

impl FromStr for BloodGroup {
    type Err = String;

    /// Accepts `O+`, `o pos`, `ORh+`, `O Rh positive`, `AB neg`, `0+` (a zero
    /// typed for O), `B−` (a Unicode minus) and `unknown`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The canonical forms, as exports write them: no work (imports parse millions).
        if let Some(group) = BloodGroup::ALL
            .into_iter()
            .find(|g| *g != BloodGroup::Unknown && g.as_str() == s)
        {
            return Ok(group);
        }
        let mut compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
            .map(|c| match c {
                '−' | '–' => '-',
                '＋' => '+',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        if matches!(compact.as_str(), "UNKNOWN" | "?" | "UNK") {
            return Ok(BloodGroup::Unknown);
        }
        for (word, sign) in [("POSITIVE", "+"), ("NEGATIVE", "-"), ("POS", "+"), ("NEG", "-")] {
            if compact.ends_with(word) {
                compact.truncate(compact.len() - word.len());
                compact.push_str(sign);
                break;
            }
        }
        let compact = compact.replace("RHD", "").replace("RH", "");
        let compact = compact
            .strip_prefix('0')
            .map_or(compact.clone(), |rest| format!("O{rest}"));
        BloodGroup::ALL
            .into_iter()
            .find(|g| *g != BloodGroup::Unknown && g.as_str() == compact)
            .ok_or_else(|| format!("`{s}` is not a blood group; use A+ A- B+ B- AB+ AB- O+ O- or unknown"))
    }
}

impl fmt::Display for BloodGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for BloodGroup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// `--group O+=120`: units of one group in a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCount {
    pub group: BloodGroup,
    pub units: Count,
}

impl FromStr for GroupCount {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (group, units) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("`{s}` is not GROUP=N; write e.g. O+=120"))?;
        Ok(GroupCount {
            group: group.parse()?,
            units: units.parse()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        for (typed, group) in [
            ("O+", BloodGroup::OPos),
            ("o+", BloodGroup::OPos),
            ("O pos", BloodGroup::OPos),
            ("ORh+", BloodGroup::OPos),
            ("O Rh+", BloodGroup::OPos),
            ("O Rh(D) positive", BloodGroup::OPos),
            ("0+", BloodGroup::OPos),
            ("AB neg", BloodGroup::AbNeg),
            ("ab-", BloodGroup::AbNeg),
            ("B−", BloodGroup::BNeg),
            ("A positive", BloodGroup::APos),
            ("unknown", BloodGroup::Unknown),
        ] {
            assert_eq!(typed.parse::<BloodGroup>(), Ok(group), "{typed}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_group() {
        for bad in ["", "C+", "O", "A++", "AB", "OR", "O+;DROP TABLE", "positive"] {
            assert!(bad.parse::<BloodGroup>().is_err(), "{bad}");
        }
    }

    #[test]
    fn canonical_form_round_trips() {
        for g in BloodGroup::ALL {
            assert_eq!(g.as_str().parse::<BloodGroup>(), Ok(g));
        }
    }

    #[test]
    fn group_counts() {
        let gc: GroupCount = "O+=120".parse().unwrap();
        assert_eq!((gc.group, gc.units), (BloodGroup::OPos, Count(120)));
        assert!("O+120".parse::<GroupCount>().is_err());
        assert!("O+=-1".parse::<GroupCount>().is_err());
    }
}
