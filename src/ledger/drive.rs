//! Drives and their figures: the tally from the paper forms, the units that
//! left stock, and the rules a tally must obey.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::blood_group::{BloodGroup, GroupCount};
use super::items::Product;
use super::rules::Rules;
use super::values::Count;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriveStatus {
    Planned,
    Held,
    Closed,
}

impl DriveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DriveStatus::Planned => "planned",
            DriveStatus::Held => "held",
            DriveStatus::Closed => "closed",
        }
    }
}

/// What describes a drive; each plan or log records a whole new version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriveAttrs {
    pub date: Option<NaiveDate>,
    pub name: Option<String>,
    pub campaign: Option<String>,
    pub province: Option<String>,
    pub district: Option<String>,
    pub venue: Option<String>,
    pub organiser: Option<String>,
    pub target: Option<u64>,
}

impl DriveAttrs {
    /// The previous version with every given option laid over it.
    pub fn overlaid_with(&self, given: &DriveAttrs) -> DriveAttrs {
        DriveAttrs {
            date: given.date.or(self.date),
            name: given.name.clone().or_else(|| self.name.clone()),
            campaign: given.campaign.clone().or_else(|| self.campaign.clone()),
            province: given.province.clone().or_else(|| self.province.clone()),
            district: given.district.clone().or_else(|| self.district.clone()),
            venue: given.venue.clone().or_else(|| self.venue.clone()),
            organiser: given.organiser.clone().or_else(|| self.organiser.clone()),
            target: given.target.or(self.target),
        }
    }
}

/// The counts from a drive's paper forms. Built only through [`Tally::new`],
/// so a stored tally always obeys the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub registered: u64,
    pub deferred: u64,
    pub collected: u64,
    pub volume_ml: Option<u64>,
    pub by_group: BTreeMap<BloodGroup, u64>,
}

/// Why a tally cannot be recorded: the message and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub hint: String,
}

impl Tally {
    pub fn new(
        registered: Count,
        collected: Count,
        deferred: Count,
        volume_ml: Option<Count>,
        groups: &[GroupCount],
        rules: &Rules,
    ) -> Result<Tally, Refusal> {
        let (registered, collected, deferred) = (registered.0, collected.0, deferred.0);
        if collected > registered {
            return Err(Refusal {
                message: format!("{collected} collected is more than {registered} registered"),
                hint: "every unit comes from a registered donor; check --registered and --collected".into(),
            });
        }
        if deferred > registered - collected {
            return Err(Refusal {
                message: format!(
                    "{deferred} deferred is more than the {} registered who did not give ({registered} registered − {collected} collected)",
                    registered - collected
                ),
                hint: "a deferred donor gives no unit; check --deferred".into(),
            });
        }
        let mut by_group = BTreeMap::new();
        for gc in groups {
            if by_group.insert(gc.group, gc.units.0).is_some() {
                return Err(Refusal {
                    message: format!("blood group {} is given twice", gc.group),
                    hint: "give each --group once".into(),
                });
            }
        }
        if !groups.is_empty() {
            let sum: u64 = by_group.values().sum();
            if sum != collected {
                let listed = groups
                    .iter()
                    .map(|g| format!("{}={}", g.group, g.units))
                    .collect::<Vec<_>>()
                    .join(" + ");
                return Err(Refusal {
                    message: format!("the groups add up to {sum} ({listed}), not the {collected} collected"),
                    hint:
                        "make the --group counts add up to --collected; put units of unknown group in --group unknown=N"
                            .into(),
                });
            }
        }
        if let Some(Count(volume)) = volume_ml {
            let range = &rules.tally_ml_per_unit;
            let plausible = if collected == 0 {
                volume == 0
            } else {
                volume >= range.start() * collected && volume <= range.end() * collected
            };
            if !plausible {
                return Err(Refusal {
                    message: format!(
                        "{volume} ml for {collected} units is {} per unit, outside {}–{} ml",
                        volume
                            .checked_div(collected)
                            .map_or("no volume".to_string(), |per_unit| format!("{per_unit} ml")),
                        range.start(),
                        range.end()
                    ),
                    hint: "--volume-ml is the total millilitres of all units (e.g. 838 units × 350 ml = 293300)".into(),
                });
            }
        }
        Ok(Tally {
            registered,
            deferred,
            collected,
            volume_ml: volume_ml.map(|v| v.0),
            by_group,
        })
    }

    /// Units by group, with units the tally did not break down as `unknown`.
    pub fn units_by_group(&self) -> BTreeMap<BloodGroup, u64> {
        let mut groups = self.by_group.clone();
        let listed: u64 = groups.values().sum();
        if listed < self.collected {
            *groups.entry(BloodGroup::Unknown).or_default() += self.collected - listed;
        }
        groups.retain(|_, units| *units > 0);
        groups
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferLine {
    pub facility: String,
    pub facility_name: String,
    pub date: NaiveDate,
    pub units: u64,
    pub entry: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscardLine {
    pub reason: String,
    pub date: NaiveDate,
    pub units: u64,
    pub entry: i64,
}

/// A drive's figures from its itemised records (live registrations and units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Items {
    /// Registrations, anonymous donations included.
    pub registered: u64,
    pub deferred: u64,
    /// Registrations whose outcome is `donated`.
    pub donated: u64,
    pub units: u64,
    pub volume_ml: u64,
    pub by_group: BTreeMap<BloodGroup, u64>,
    /// Units are bags of any product: this says how many were apheresis.
    pub by_product: BTreeMap<Product, u64>,
}

/// A live drive with everything the reports need.
#[derive(Debug, Clone)]
pub struct Drive {
    pub slug: String,
    pub attrs: DriveAttrs,
    pub date: NaiveDate,
    pub campaign_name: Option<String>,
    pub status: DriveStatus,
    pub tally: Option<Tally>,
    pub tally_entry: Option<i64>,
    pub transfers: Vec<TransferLine>,
    pub discards: Vec<DiscardLine>,
    pub items: Items,
    /// The site whose ledger created the drive (DESIGN §3).
    pub site_id: String,
}

// For each figure, the itemised records win when the drive has any of that
// kind (registrations; units); otherwise the tally stands (DESIGN §2).
impl Drive {
    pub fn has_itemised_registrations(&self) -> bool {
        self.items.registered > 0
    }

    pub fn has_itemised_units(&self) -> bool {
        self.items.units > 0
    }

    pub fn registered(&self) -> u64 {
        if self.has_itemised_registrations() {
            return self.items.registered;
        }
        self.tally.as_ref().map_or(0, |t| t.registered)
    }

    pub fn deferred(&self) -> u64 {
        if self.has_itemised_registrations() {
            return self.items.deferred;
        }
        self.tally.as_ref().map_or(0, |t| t.deferred)
    }

    pub fn units(&self) -> u64 {
        if self.has_itemised_units() {
            return self.items.units;
        }
        self.tally.as_ref().map_or(0, |t| t.collected)
    }

    pub fn volume_ml(&self) -> u64 {
        if self.has_itemised_units() {
            return self.items.volume_ml;
        }
        self.tally.as_ref().and_then(|t| t.volume_ml).unwrap_or(0)
    }

    /// The volume as known: from the units, else the tally if it gave one.
    pub fn known_volume_ml(&self) -> Option<u64> {
        if self.has_itemised_units() {
            return Some(self.items.volume_ml);
        }
        self.tally.as_ref().and_then(|t| t.volume_ml)
    }

    pub fn transferred(&self) -> u64 {
        self.transfers.iter().map(|t| t.units).sum()
    }

    pub fn discarded(&self) -> u64 {
        self.discards.iter().map(|d| d.units).sum()
    }

    /// Signed, so that `check` can report a stock that went negative.
    pub fn stock(&self) -> i128 {
        self.units() as i128 - self.transferred() as i128 - self.discarded() as i128
    }

    pub fn in_stock(&self) -> u64 {
        self.stock().max(0) as u64
    }

    pub fn units_by_group(&self) -> BTreeMap<BloodGroup, u64> {
        if self.has_itemised_units() {
            return self.items.by_group.clone();
        }
        self.tally.as_ref().map(Tally::units_by_group).unwrap_or_default()
    }

    /// A drive counts once it has results, logged or itemised: a planned
    /// drive, or one closed without results (or whose log was voided),
    /// counts in no totals.
    pub fn counts_in_totals(&self) -> bool {
        self.tally.is_some() || self.items.registered > 0 || self.items.units > 0
    }
}

#[cfg(test)]
mod tests {
    use super::super::rules::VIETNAM;
    use super::*;

    fn tally(
        registered: u64,
        collected: u64,
        deferred: u64,
        volume: Option<u64>,
        groups: &[(&str, u64)],
    ) -> Result<Tally, Refusal> {
        let groups: Vec<GroupCount> = groups
            .iter()
            .map(|(g, n)| GroupCount {
                group: g.parse().unwrap(),
                units: Count(*n),
            })
            .collect();
        Tally::new(
            Count(registered),
            Count(collected),
            Count(deferred),
            volume.map(Count),
            &groups,
            &VIETNAM,
        )
    }

    #[test]
    fn the_son_la_tally_is_accepted() {
        let t = tally(978, 838, 140, Some(838 * 350), &[]).unwrap();
        assert_eq!(t.units_by_group(), BTreeMap::from([(BloodGroup::Unknown, 838)]));
    }

    #[test]
    fn refuses_impossible_tallies() {
        assert!(tally(10, 11, 0, None, &[]).is_err());
        assert!(tally(10, 8, 3, None, &[]).is_err());
        assert!(tally(10, 8, 2, None, &[]).is_ok());
        assert!(tally(10, 8, 0, None, &[("O+", 5), ("A+", 2)]).is_err());
        assert!(tally(10, 8, 0, None, &[("O+", 5), ("O+", 3)]).is_err());
        assert!(tally(10, 8, 0, Some(8 * 99), &[]).is_err());
        assert!(tally(10, 8, 0, Some(8 * 651), &[]).is_err());
        assert!(tally(10, 8, 0, Some(8 * 100), &[]).is_ok());
        assert!(tally(10, 0, 0, Some(1), &[]).is_err());
    }

    #[test]
    fn group_breakdown_keeps_the_remainder_as_unknown() {
        let t = tally(10, 8, 0, None, &[("O+", 5), ("unknown", 3)]).unwrap();
        assert_eq!(t.units_by_group().values().sum::<u64>(), 8);
    }
}
