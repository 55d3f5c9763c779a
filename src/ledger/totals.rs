//! Cumulative totals over a selection of drives, overall and by a key.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::blood_group::BloodGroup;
use super::drive::Drive;
use super::text::fold;

/// Which drives a report covers. Text filters match folded (`son la` = `Sơn La`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub campaign: Option<String>,
    pub province: Option<String>,
    pub district: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Selection {
    /// Whether no filter is given: every drive is selected.
    pub fn is_everything(&self) -> bool {
        self.campaign.is_none()
            && self.province.is_none()
            && self.district.is_none()
            && self.from.is_none()
            && self.to.is_none()
    }

    /// Whether the drive passes the filters, whatever its status.
    pub fn matches(&self, drive: &Drive) -> bool {
        let matches = |wanted: &Option<String>, have: &Option<String>| match wanted {
            None => true,
            Some(w) => have.as_deref().is_some_and(|h| fold(h) == fold(w)),
        };
        matches(&self.campaign, &drive.attrs.campaign)
            && matches(&self.province, &drive.attrs.province)
            && matches(&self.district, &drive.attrs.district)
            && self.from.is_none_or(|from| drive.date >= from)
            && self.to.is_none_or(|to| drive.date <= to)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Year,
    Month,
    Drive,
    Campaign,
    Province,
    District,
    Group,
    Facility,
    /// The site whose ledger created the drive (multi-site ledgers).
    Site,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Year => "year",
            By::Month => "month",
            By::Drive => "drive",
            By::Campaign => "campaign",
            By::Province => "province",
            By::District => "district",
            By::Group => "group",
            By::Facility => "facility",
            By::Site => "site",
        }
    }
}

/// The figures of a set of drives. Counts are integers, never estimates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub drives: u64,
    pub registered: u64,
    pub deferred: u64,
    pub units: u64,
    pub volume_ml: u64,
    pub transferred: u64,
    pub discarded: u64,
    pub in_stock: u64,
    pub years: u64,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub by_group: BTreeMap<BloodGroup, u64>,
}

impl Figures {
    pub fn of<'a>(drives: impl IntoIterator<Item = &'a Drive>) -> Figures {
        let mut figures = Figures::default();
        let mut years = BTreeSet::new();
        for drive in drives {
            figures.drives += 1;
            figures.registered += drive.registered();
            figures.deferred += drive.deferred();
            figures.units += drive.units();
            figures.volume_ml += drive.volume_ml();
            figures.transferred += drive.transferred();
            figures.discarded += drive.discarded();
            figures.in_stock += drive.in_stock();
            for (group, units) in drive.units_by_group() {
                *figures.by_group.entry(group).or_default() += units;
            }
            if drive.units() > 0 {
                years.insert(drive.date.year());
            }
        }
        figures.years = years.len() as u64;
        figures.first_year = years.first().copied();
        figures.last_year = years.last().copied();
        figures
    }
}

/// One row of `totals --by`. For `group` and `facility` only some figures
/// can be attributed to the key; the others are `None` rather than a guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub key: String,
    pub drives: u64,
    pub registered: Option<u64>,
    pub deferred: Option<u64>,
    pub units: Option<u64>,
    pub volume_ml: Option<u64>,
    pub transferred: Option<u64>,
    pub discarded: Option<u64>,
    pub in_stock: Option<u64>,
    pub years: Option<u64>,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    pub by_group: Option<BTreeMap<BloodGroup, u64>>,
}

impl Row {
    fn whole(key: String, f: Figures) -> Row {
        Row {
            key,
            drives: f.drives,
            registered: Some(f.registered),
            deferred: Some(f.deferred),
            units: Some(f.units),
            volume_ml: Some(f.volume_ml),
            transferred: Some(f.transferred),
            discarded: Some(f.discarded),
            in_stock: Some(f.in_stock),
            years: Some(f.years),
            first_year: f.first_year,
            last_year: f.last_year,
            by_group: Some(f.by_group),
        }
    }

    fn partial(key: String, drives: u64) -> Row {
        Row {
            key,
            drives,
            registered: None,
            deferred: None,
            units: None,
            volume_ml: None,
            transferred: None,
            discarded: None,
            in_stock: None,
            years: None,
            first_year: None,
            last_year: None,
            by_group: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Totals {
    pub figures: Figures,
    pub by: Option<By>,
    pub rows: Vec<Row>,
}

const NONE_KEY: &str = "(none)";

pub fn totals(drives: &[Drive], selection: &Selection, by: Option<By>) -> Totals {
    let selected: Vec<&Drive> = drives
        .iter()
        .filter(|d| d.counts_in_totals() && selection.matches(d))
        .collect();
    let figures = Figures::of(selected.iter().copied());
    let rows = match by {
        None => Vec::new(),
        Some(By::Group) => rows_by_group(&selected),
        Some(By::Facility) => rows_by_facility(&selected),
        Some(by) => rows_by_drive_key(&selected, by),
    };
    Totals { figures, by, rows }
}

/// The totals of every drive, overall or by year, from each year's figures
/// (as [`totals`] computes them for the drives of that year): the same
/// result without the drives. `None` for a key the years cannot give.
pub fn totals_of_years(years: Vec<(i32, Figures)>, by: Option<By>) -> Option<Totals> {
    if !matches!(by, None | Some(By::Year)) {
        return None;
    }
    let mut figures = Figures::default();
    for (_, year) in &years {
        figures.drives += year.drives;
        figures.registered += year.registered;
        figures.deferred += year.deferred;
        figures.units += year.units;
        figures.volume_ml += year.volume_ml;
        figures.transferred += year.transferred;
        figures.discarded += year.discarded;
        figures.in_stock += year.in_stock;
        for (group, units) in &year.by_group {
            *figures.by_group.entry(*group).or_default() += units;
        }
    }
    let with_units: BTreeSet<i32> = years.iter().filter(|(_, f)| f.units > 0).map(|(y, _)| *y).collect();
    figures.years = with_units.len() as u64;
    figures.first_year = with_units.first().copied();
    figures.last_year = with_units.last().copied();
    let rows = match by {
        Some(_) => years
            .into_iter()
            .map(|(year, f)| Row::whole(year.to_string(), f))
            .collect(),
        None => Vec::new(),
    };
    Some(Totals { figures, by, rows })
}

fn rows_by_drive_key(selected: &[&Drive], by: By) -> Vec<Row> {
    // Sort key → (label as first seen, drives). Places group by folded name.
    let mut groups: BTreeMap<(String, String), Vec<&Drive>> = BTreeMap::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let mut sorted: Vec<&Drive> = selected.to_vec();
    sorted.sort_by(|a, b| (a.date, &a.slug).cmp(&(b.date, &b.slug)));
    for drive in sorted {
        let (sort, label) = match by {
            By::Year => (drive.date.year().to_string(), drive.date.year().to_string()),
            By::Month => {
                let month = drive.date.format("%Y-%m").to_string();
                (month.clone(), month)
            }
            By::Drive => (format!("{} {}", drive.date, drive.slug), drive.slug.clone()),
            By::Campaign => text_key(&drive.attrs.campaign),
            By::Province => text_key(&drive.attrs.province),
            By::District => text_key(&drive.attrs.district),
            By::Site => (drive.site_id.clone(), drive.site_id.clone()),
            By::Group | By::Facility => unreachable!("handled by their own functions"),
        };
        let label = labels.entry(sort.clone()).or_insert(label).clone();
        groups.entry((sort, label)).or_default().push(drive);
    }
    groups
        .into_iter()
        .map(|((_, label), drives)| Row::whole(label, Figures::of(drives)))
        .collect()
}

fn text_key(value: &Option<String>) -> (String, String) {
    match value {
        // "~" sorts the drives without a value last.
        None => ("~".into(), NONE_KEY.into()),
        Some(v) => (fold(v), v.clone()),
    }
}

fn rows_by_group(selected: &[&Drive]) -> Vec<Row> {
    let mut rows: BTreeMap<BloodGroup, (u64, u64)> = BTreeMap::new();
    for drive in selected {
        for (group, units) in drive.units_by_group() {
            let row = rows.entry(group).or_default();
            row.0 += 1;
            row.1 += units;
        }
    }
    rows.into_iter()
        .map(|(group, (drives, units))| Row {
            units: Some(units),
            ..Row::partial(group.to_string(), drives)
        })
        .collect()
}

fn rows_by_facility(selected: &[&Drive]) -> Vec<Row> {
    let mut rows: BTreeMap<String, (BTreeSet<&str>, u64)> = BTreeMap::new();
    for drive in selected {
        for transfer in &drive.transfers {
            let row = rows.entry(transfer.facility.clone()).or_default();
            row.0.insert(&drive.slug);
            row.1 += transfer.units;
        }
    }
    rows.into_iter()
        .map(|(facility, (drives, units))| Row {
            transferred: Some(units),
            ..Row::partial(facility, drives.len() as u64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ledger::drive::{DiscardLine, DriveAttrs, DriveStatus, Tally, TransferLine};

    const PLACES: [Option<&str>; 4] = [None, Some("Sơn La"), Some("son la"), Some("Điện Biên")];
    const FACILITIES: [&str; 2] = ["nihbt", "bv-sonla"];

    /// A drive as the commands could have left it: a plan, or a tally that
    /// obeys the rules with movements within its stock.
    fn drive() -> impl Strategy<Value = Drive> {
        (
            (2015i32..2027, 1u32..13, 1u32..29),
            (0usize..4, 0usize..4, any::<bool>()),
            (any::<bool>(), any::<bool>()),
            (0u64..5000, 0u64..5000, 0u64..5000),
            (any::<bool>(), prop::collection::vec(0u64..100, 0..4)),
            (
                prop::collection::vec((0usize..2, 1u64..2000), 0..3),
                prop::collection::vec(1u64..500, 0..3),
            ),
        )
            .prop_map(
                |(
                    (year, month, day),
                    (province, district, campaign),
                    (held, closed),
                    (a, b, c),
                    (volume, split),
                    (transfers, discards),
                )| {
                    let date = NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default();
                    let attrs = DriveAttrs {
                        date: Some(date),
                        campaign: campaign.then(|| "red-journey".to_string()),
                        province: PLACES[province].map(String::from),
                        district: PLACES[3 - district].map(String::from),
                        ..DriveAttrs::default()
                    };
                    let mut drive = Drive {
                        slug: String::new(),
                        attrs,
                        date,
                        campaign_name: None,
                        status: if closed {
                            DriveStatus::Closed
                        } else {
                            DriveStatus::Planned
                        },
                        tally: None,
                        tally_entry: None,
                        transfers: Vec::new(),
                        discards: Vec::new(),
                        items: Default::default(),
                        site_id: String::new(),
                    };
                    if !held {
                        return drive;
                    }
                    // registered ≥ collected + deferred.
                    let collected = a.min(b);
                    let deferred = c % (a.max(b) - collected + 1);
                    let registered = a.max(b);
                    let mut by_group = BTreeMap::new();
                    let mut left = collected;
                    for (group, share) in BloodGroup::ALL.iter().zip(&split) {
                        let units = (collected * share / 100).min(left);
                        left -= units;
                        by_group.insert(*group, units);
                    }
                    if !by_group.is_empty() {
                        *by_group.entry(BloodGroup::Unknown).or_default() += left;
                    }
                    let mut stock = collected;
                    for (facility, units) in transfers {
                        let units = units.min(stock);
                        if units > 0 {
                            stock -= units;
                            drive.transfers.push(TransferLine {
                                facility: FACILITIES[facility].to_string(),
                                facility_name: String::new(),
                                date,
                                units,
                                entry: 0,
                            });
                        }
                    }
                    for units in discards {
                        let units = units.min(stock);
                        if units > 0 {
                            stock -= units;
                            drive.discards.push(DiscardLine {
                                reason: "expired".into(),
                                date,
                                units,
                                entry: 0,
                            });
                        }
                    }
                    drive.status = if closed { DriveStatus::Closed } else { DriveStatus::Held };
                    drive.tally = Some(Tally {
                        registered,
                        deferred,
                        collected,
                        volume_ml: volume.then_some(collected * 350),
                        by_group,
                    });
                    drive
                },
            )
    }

    fn drives() -> impl Strategy<Value = Vec<Drive>> {
        prop::collection::vec(drive(), 0..25).prop_map(|mut drives| {
            for (i, drive) in drives.iter_mut().enumerate() {
                drive.slug = format!("drive-{i}");
                drive.site_id = format!("site-{}", i % 3);
            }
            drives
        })
    }

    /// The figures of whole rows, field by field.
    fn sum_rows(rows: &[Row]) -> Figures {
        let mut sum = Figures::default();
        for r in rows {
            sum.drives += r.drives;
            sum.registered += r.registered.unwrap_or(0);
            sum.deferred += r.deferred.unwrap_or(0);
            sum.units += r.units.unwrap_or(0);
            sum.volume_ml += r.volume_ml.unwrap_or(0);
            sum.transferred += r.transferred.unwrap_or(0);
            sum.discarded += r.discarded.unwrap_or(0);
            sum.in_stock += r.in_stock.unwrap_or(0);
            for (group, units) in r.by_group.iter().flatten() {
                *sum.by_group.entry(*group).or_default() += units;
            }
        }
        sum
    }

    proptest! {
        #[test]
        fn totals_are_the_sum_of_the_drives(drives in drives()) {
            let totals = totals(&drives, &Selection::default(), None);
            let f = &totals.figures;
            let held: Vec<&Drive> = drives.iter().filter(|d| d.tally.is_some()).collect();
            prop_assert_eq!(f.drives, held.len() as u64);
            prop_assert_eq!(f.registered, held.iter().map(|d| d.registered()).sum::<u64>());
            prop_assert_eq!(f.deferred, held.iter().map(|d| d.deferred()).sum::<u64>());
            prop_assert_eq!(f.units, held.iter().map(|d| d.units()).sum::<u64>());
            prop_assert_eq!(f.volume_ml, held.iter().map(|d| d.volume_ml()).sum::<u64>());
            prop_assert_eq!(f.transferred, held.iter().map(|d| d.transferred()).sum::<u64>());
            prop_assert_eq!(f.discarded, held.iter().map(|d| d.discarded()).sum::<u64>());
            prop_assert_eq!(f.in_stock, f.units - f.transferred - f.discarded);
            prop_assert_eq!(f.by_group.values().sum::<u64>(), f.units);
            let years: BTreeSet<i32> = held.iter().filter(|d| d.units() > 0).map(|d| d.date.year()).collect();
            prop_assert_eq!(f.years, years.len() as u64);
            prop_assert_eq!(f.first_year, years.first().copied());
            prop_assert_eq!(f.last_year, years.last().copied());
        }

        #[test]
        fn every_grouping_adds_up_to_the_whole(drives in drives()) {
            let whole = totals(&drives, &Selection::default(), None).figures;
            for by in [By::Year, By::Month, By::Drive, By::Campaign, By::Province, By::District, By::Site] {
                let rows = totals(&drives, &Selection::default(), Some(by)).rows;
                let sum = sum_rows(&rows);
                let expected = Figures { years: 0, first_year: None, last_year: None, ..whole.clone() };
                prop_assert_eq!(sum, expected, "by {}", by.as_str());
                let keys: BTreeSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
                prop_assert_eq!(keys.len(), rows.len(), "by {}: a key twice", by.as_str());
            }
            let groups = totals(&drives, &Selection::default(), Some(By::Group)).rows;
            prop_assert_eq!(groups.iter().filter_map(|r| r.units).sum::<u64>(), whole.units);
            for row in &groups {
                let group: BloodGroup = row.key.parse().map_err(TestCaseError::fail)?;
                prop_assert_eq!(row.units, whole.by_group.get(&group).copied());
            }
            let facilities = totals(&drives, &Selection::default(), Some(By::Facility)).rows;
            prop_assert_eq!(facilities.iter().filter_map(|r| r.transferred).sum::<u64>(), whole.transferred);
        }

        #[test]
        fn a_selection_and_its_complement_make_the_whole(drives in drives()) {
            let whole = totals(&drives, &Selection::default(), None).figures;
            let son_la = Selection { province: Some("SON LA".into()), ..Selection::default() };
            let inside = totals(&drives, &son_la, None).figures;
            let outside: Vec<Drive> = drives.iter().filter(|d| !son_la.matches(d)).cloned().collect();
            let outside = totals(&outside, &Selection::default(), None).figures;
            prop_assert_eq!(inside.units + outside.units, whole.units);
            prop_assert_eq!(inside.drives + outside.drives, whole.drives);
        }
    }
}
