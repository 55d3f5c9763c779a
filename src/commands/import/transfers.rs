//! `import transfers`: unit_id,facility,date. Consecutive lines of the same
//! drive, facility and date become one transfer.

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;
use chrono::NaiveDate;

use super::{Rows, Tally};
use crate::commands::Context;
use crate::ledger::items::Movement;
use crate::ledger::{DateArg, Slug, UnitId, fold};
use crate::store::Txn;

pub const REQUIRED: &[&str] = &["unit_id", "facility", "date"];
pub const OPTIONAL: &[&str] = &[];

/// A transfer being gathered: (drive, facility, date) and its units.
struct Pending {
    key: (i64, i64, NaiveDate),
    units: Vec<i64>,
}

pub fn import<R: Read>(ctx: &Context, txn: &Txn, rows: &mut Rows<R>, entry: i64) -> Result<Tally> {
    let columns = rows.columns(REQUIRED, OPTIONAL)?;
    let mut facilities: HashMap<String, Option<(i64, String)>> = HashMap::new();
    let mut closed: HashMap<i64, bool> = HashMap::new();
    let mut pending: Option<Pending> = None;
    let mut tally = Tally::default();
    while let Some(line) = rows.next_line()? {
        let problems = &mut rows.problems;
        let before = problems.count;
        let unit_id = line.parse::<UnitId>(&columns, "unit_id", problems).ok().flatten();
        let facility = line.parse::<Slug>(&columns, "facility", problems).ok().flatten();
        let date = line.parse::<DateArg>(&columns, "date", problems).ok().flatten();
        line.require(&columns, REQUIRED, problems);
        let (Some(unit_id), Some(facility), Some(date)) = (unit_id, facility, date) else {
            continue;
        };
        let date = date.resolve(ctx.today);
        let facility = match facilities.get(&facility.key()) {
            Some(found) => found.clone(),
            None => {
                let found = txn.facilities(Some(&facility.key()))?.pop().map(|f| (f.id, f.slug));
                facilities.insert(facility.key(), found.clone());
                if found.is_none() {
                    problems.add(
                        line.number,
                        "facility",
                        facility.as_str(),
                        "no such facility; add it with `bloodledger facility add` first",
                    );
                }
                found
            }
        };
        let unit = match txn.unit_in_stock(unit_id.as_str())? {
            Some(unit) => Some(unit),
            None => txn.unit(unit_id.as_str())?,
        };
        let Some(unit) = unit else {
            problems.add(
                line.number,
                "unit_id",
                unit_id.as_str(),
                "no such unit; import the units first",
            );
            continue;
        };
        let Some((facility_id, facility_slug)) = facility else {
            continue;
        };
        if !unit.live {
            problems.add(
                line.number,
                "unit_id",
                unit_id.as_str(),
                format!("the unit's collection (entry #{}) was voided", unit.entry),
            );
            continue;
        }
        let already_here = pending.as_ref().is_some_and(|p| p.units.contains(&unit.id));
        match (&unit.movement, already_here) {
            (_, true) => {
                problems.add(
                    line.number,
                    "unit_id",
                    unit_id.as_str(),
                    "the unit is listed twice in this file",
                );
                continue;
            }
            (
                Some(Movement::Transferred {
                    facility: f, date: d, ..
                }),
                _,
            ) if fold(f) == fold(&facility_slug) && *d == date => {
                tally.present += 1;
                continue;
            }
            (
                Some(Movement::Transferred {
                    facility: f,
                    date: d,
                    entry: e,
                    ..
                }),
                _,
            ) => {
                problems.add(
                    line.number,
                    "unit_id",
                    unit_id.as_str(),
                    format!("already transferred to {f} on {d} (entry #{e})"),
                );
                continue;
            }
            (
                Some(Movement::Discarded {
                    reason,
                    date: d,
                    entry: e,
                }),
                _,
            ) => {
                problems.add(
                    line.number,
                    "unit_id",
                    unit_id.as_str(),
                    format!("already discarded ({reason}) on {d} (entry #{e})"),
                );
                continue;
            }
            (None, false) => {}
        }
        if date < unit.collected_on || date > ctx.today {
            problems.add(
                line.number,
                "date",
                &date.to_string(),
                format!(
                    "must be from the unit's collection ({}) to today ({})",
                    unit.collected_on, ctx.today
                ),
            );
        } else if let Err(refusal) = unit.may_transfer_on(date) {
            problems.add(line.number, "date", &date.to_string(), refusal.message);
        }
        let is_closed = match closed.get(&unit.drive_id) {
            Some(c) => *c,
            None => {
                let c = txn.drive(unit.drive_id)?.status == crate::ledger::DriveStatus::Closed;
                closed.insert(unit.drive_id, c);
                c
            }
        };
        if is_closed {
            problems.add(
                line.number,
                "unit_id",
                unit_id.as_str(),
                format!("drive `{}` is closed; reopen it first", unit.drive),
            );
        }
        if problems.count > before {
            continue;
        }
        let key = (unit.drive_id, facility_id, date);
        if pending.as_ref().is_some_and(|p| p.key != key) {
            flush(txn, entry, pending.take())?;
        }
        pending
            .get_or_insert_with(|| Pending { key, units: Vec::new() })
            .units
            .push(unit.id);
        tally.new += 1;
    }
    flush(txn, entry, pending)?;
    Ok(tally)
}

fn flush(txn: &Txn, entry: i64, pending: Option<Pending>) -> Result<()> {
    let Some(Pending {
        key: (drive, facility, date),
        units,
    }) = pending
    else {
        return Ok(());
    };
    let transfer = txn.insert_transfer(drive, entry, facility, date, units.len() as u64)?;
    // (The units leave stock with it.)
    txn.insert_transfer_units(transfer, &units)
}
