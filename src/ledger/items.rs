//! The values of itemised records: products, volumes, donors, outcomes.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use super::blood_group::BloodGroup;

/// What a unit is. Whole blood and red cells come from a whole-blood
/// collection; the other two from apheresis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Product {
    WholeBlood,
    RedCells,
    PlateletsApheresis,
    PlasmaApheresis,
}

impl Product {
    pub const ALL: [Product; 4] = [
        Product::WholeBlood,
        Product::RedCells,
        Product::PlateletsApheresis,
        Product::PlasmaApheresis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Product::WholeBlood => "whole-blood",
            Product::RedCells => "red-cells",
            Product::PlateletsApheresis => "platelets-apheresis",
            Product::PlasmaApheresis => "plasma-apheresis",
        }
    }

    pub fn is_apheresis(self) -> bool {
        matches!(self, Product::PlateletsApheresis | Product::PlasmaApheresis)
    }
}

impl FromStr for Product {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(product) = Product::ALL.into_iter().find(|p| p.as_str() == s) {
            return Ok(product);
        }
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        let wanted = match wanted.as_str() {
            "wb" | "whole" => "whole-blood",
            "rbc" | "red-cells-additive" | "red-blood-cells" => "red-cells",
            "platelets" | "plt" => "platelets-apheresis",
            "plasma" => "plasma-apheresis",
            other => other,
        };
        Product::ALL.into_iter().find(|p| p.as_str() == wanted).ok_or_else(|| {
            format!("`{s}` is not a product; use whole-blood, red-cells, platelets-apheresis or plasma-apheresis")
        })
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Millilitres in one bag: `450`, `450ml`, `450 ml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Volume(pub u64);

impl Volume {
    /// Far above any bag: larger numbers are typing mistakes.
    pub const MAX: u64 = 2000;
}

impl FromStr for Volume {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let digits = lower.strip_suffix("ml").unwrap_or(&lower).trim();
        match digits.parse::<u64>() {
            Ok(0) => Err("a unit's volume cannot be 0 ml".into()),
            Ok(ml) if ml <= Volume::MAX => Ok(Volume(ml)),
            Ok(_) => Err(format!(
                "`{s}` ml is more than any bag holds; give millilitres, e.g. 350"
            )),
            Err(_) => Err(format!("`{s}` is not a volume; give whole millilitres, e.g. 350")),
        }
    }
}

/// A donor's weight in whole kilograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeightKg(pub u64);

impl FromStr for WeightKg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let digits = lower.strip_suffix("kg").unwrap_or(&lower).trim();
        match digits.parse::<u64>() {
            Ok(kg) if (1..=400).contains(&kg) => Ok(WeightKg(kg)),
            _ => Err(format!("`{s}` is not a weight; give whole kilograms, e.g. 55")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sex {
    M,
    F,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
        }
    }
}

impl FromStr for Sex {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "m" | "male" | "nam" => Ok(Sex::M),
            "f" | "female" | "nu" | "nữ" => Ok(Sex::F),
            _ => Err(format!("`{s}` is not a sex; use M or F")),
        }
    }
}

/// A donor's id in the registry (a card number, a code): letters, digits and
/// `-_./`, matched ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonorId(String);

impl DonorId {
    pub const MAX_LEN: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl FromStr for DonorId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let typed = s.trim();
        if typed.is_empty() {
            return Err("a donor id cannot be empty; e.g. D-0001".into());
        }
        if typed.chars().count() > Self::MAX_LEN {
            return Err(format!("a donor id has at most {} characters", Self::MAX_LEN));
        }
        if let Some(bad) = typed
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(format!(
                "`{}` is not allowed in a donor id; use letters, digits, `-`, `_`, `.` or `/`, e.g. D-0001",
                bad.escape_debug()
            ));
        }
        Ok(DonorId(typed.to_string()))
    }
}

impl fmt::Display for DonorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What happened when a person presented at a drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Donated,
    Deferred,
    PermanentlyDeferred,
    DidNotBleed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Donated,
        Outcome::Deferred,
        Outcome::PermanentlyDeferred,
        Outcome::DidNotBleed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Donated => "donated",
            Outcome::Deferred => "deferred",
            Outcome::PermanentlyDeferred => "permanently-deferred",
            Outcome::DidNotBleed => "did-not-bleed",
        }
    }

    pub fn is_deferral(self) -> bool {
        matches!(self, Outcome::Deferred | Outcome::PermanentlyDeferred)
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an outcome"))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a unit went when it left stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    Transferred {
        facility: String,
        facility_name: String,
        date: NaiveDate,
        entry: i64,
    },
    Discarded {
        reason: String,
        date: NaiveDate,
        entry: i64,
    },
}

/// A unit and its whole path.
#[derive(Debug, Clone)]
pub struct UnitRecord {
    pub id: i64,
    pub entry: i64,
    /// False when the entry that collected it was voided.
    pub live: bool,
    pub unit_id: String,
    pub drive_id: i64,
    pub drive_uuid: String,
    pub drive: String,
    pub donor: Option<String>,
    pub blood_group: BloodGroup,
    pub volume_ml: u64,
    pub product: Product,
    pub collected_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub override_reason: Option<String>,
    pub movement: Option<Movement>,
}

impl UnitRecord {
    /// The rule that a unit never goes to a facility after its expiry date,
    /// for `transfer` and `import transfers` alike.
    pub fn may_transfer_on(&self, date: NaiveDate) -> Result<(), super::Refusal> {
        if date > self.expires_on {
            return Err(super::Refusal {
                message: format!(
                    "unit {} expired on {} and cannot be transferred on {date}",
                    self.unit_id, self.expires_on
                ),
                hint: format!(
                    "expired units leave stock with `bloodledger discard {} --reason expired`",
                    self.unit_id
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_volumes_and_ids_parse_once() {
        assert_eq!("whole blood".parse(), Ok(Product::WholeBlood));
        assert_eq!("platelets".parse(), Ok(Product::PlateletsApheresis));
        assert!("serum".parse::<Product>().is_err());
        assert_eq!("450ml".parse(), Ok(Volume(450)));
        assert_eq!("350 ml".parse(), Ok(Volume(350)));
        assert!("0".parse::<Volume>().is_err());
        assert!("4.5".parse::<Volume>().is_err());
        assert!("45000".parse::<Volume>().is_err());
        assert_eq!("55kg".parse(), Ok(WeightKg(55)));
        assert_eq!("f".parse(), Ok(Sex::F));
        assert!("x".parse::<Sex>().is_err());
        assert_eq!("D-01".parse::<DonorId>().map(|d| d.key()), Ok("d-01".into()));
        assert!("D 01".parse::<DonorId>().is_err());
    }
}
