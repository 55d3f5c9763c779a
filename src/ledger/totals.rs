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
