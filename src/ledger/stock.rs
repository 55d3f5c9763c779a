//! What is in stock: itemised units that have not left, and units counted
//! only in tallies (no id, group or expiry), optionally grouped.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::items::UnitRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockKey {
    Drive,
    Group,
}

impl StockKey {
    pub fn as_str(self) -> &'static str {
        match self {
            StockKey::Drive => "drive",
            StockKey::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    pub key: String,
    pub units: u64,
    /// Of the itemised units only; tallies give no volume per unit in stock.
    pub volume_ml: u64,
    /// Units counted only in a tally (by drive only).
    pub tallied_units: u64,
    pub first_expiry: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Stock {
    pub units: Vec<UnitRecord>,
    /// Drives without itemised units, with what their tally leaves in stock.
    pub tallied: Vec<(String, u64)>,
    pub by: Option<StockKey>,
    pub rows: Vec<StockRow>,
    /// With `--expiring-within`: only units expiring on or before this day.
    pub until: Option<NaiveDate>,
}

impl Stock {
    pub fn new(units: Vec<UnitRecord>, tallied: Vec<(String, u64)>, by: Option<StockKey>) -> Stock {
        let mut rows: BTreeMap<String, StockRow> = BTreeMap::new();
        fn row(rows: &mut BTreeMap<String, StockRow>, key: String) -> &mut StockRow {
            rows.entry(key.clone()).or_insert(StockRow {
                key,
                units: 0,
                volume_ml: 0,
                tallied_units: 0,
                first_expiry: None,
            })
        }
        if let Some(by) = by {
            for unit in &units {
                let key = match by {
                    StockKey::Drive => unit.drive.clone(),
                    StockKey::Group => unit.blood_group.to_string(),
                };
                let r = row(&mut rows, key);
                r.units += 1;
                r.volume_ml += unit.volume_ml;
                r.first_expiry = Some(r.first_expiry.map_or(unit.expires_on, |e| e.min(unit.expires_on)));
            }
            if by == StockKey::Drive {
                for (drive, units) in &tallied {
                    let r = row(&mut rows, drive.clone());
                    r.units += units;
                    r.tallied_units += units;
                }
            }
        }
        Stock {
            units,
            tallied,
            by,
            rows: rows.into_values().collect(),
            until: None,
        }
    }

    pub fn itemised_units(&self) -> u64 {
        self.units.len() as u64
    }

    pub fn tallied_units(&self) -> u64 {
        self.tallied.iter().map(|(_, n)| n).sum()
    }

    pub fn volume_ml(&self) -> u64 {
        self.units.iter().map(|u| u.volume_ml).sum()
    }
}
