//! `import units`: unit_id,drive,collected_on,blood_group,volume_ml,product,donor_id
//! (`product` and `donor_id` may be empty). The same rules as `unit collect`.

use std::collections::HashMap;
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvError, SyncSender};
use std::thread;

use anyhow::{Result, anyhow, bail};

use chrono::NaiveDate;

use super::{Columns, DriveInfo, Drives, Problems, Rows, SHOWN_ERRORS, Tally};
use crate::commands::Context;
use crate::commands::donor::facts;
use crate::ledger::donor::add_days;
use crate::ledger::items::UnitRecord;
use crate::ledger::{BloodGroup, DateArg, DonorId, Outcome, Product, Slug, UnitId, Volume, new_id};
use crate::store::{BulkUnits, DonorRecord, NewRegistration, NewUnit, Txn, UNITS_PER_INSERT};

pub const REQUIRED: &[&str] = &["unit_id", "drive", "collected_on", "blood_group", "volume_ml"];
pub const OPTIONAL: &[&str] = &["product", "donor_id"];

pub fn import<R: Read + Send>(ctx: &Context, txn: &Txn, rows: &mut Rows<R>, entry: i64) -> Result<Tally> {
    let columns = rows.columns(REQUIRED, OPTIONAL)?;
    let mut problems = Problems::default();
    // SQLite takes most of an import's time: reading and parsing the CSV on
    // a second thread overlaps the two. Batches keep the channel cheap, its
    // bound keeps memory flat.
    let (sender, receiver) = mpsc::sync_channel(WAITING);
    let tally = thread::scope(|scope| {
        let reader = scope.spawn(|| read(rows, &columns, sender));
        let written = write(ctx, txn, receiver, entry, &mut problems);
        // `write` has dropped the receiver, so a reader still sending stops.
        match reader.join() {
            Ok(()) => written,
            Err(panic) => {
                let what = (panic.downcast_ref::<&str>().copied())
                    .or(panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("a panic");
                Err(anyhow!("reading the file stopped: {what}; nothing was written"))
            }
        }
    })?;
    rows.problems.append(problems);
    Ok(tally)
}

/// Lines sent to the main thread at a time (about 200 KB).
const BATCH: usize = 1024;
/// Batches read ahead of the main thread at most: a larger bound gains
/// nothing (the reader is far faster) and costs memory.
const WAITING: usize = 2;

enum Batch {
    Lines(Vec<Parsed>),
    /// The file was read to its end; the problems of non-UTF-8 lines after
    /// the last good one.
    End(Problems),
    Failed(anyhow::Error),
}

/// A line with every cell parsed: all that needs no database.
struct Parsed {
    number: u64,
    /// Non-UTF-8 lines skipped just before this one.
    skipped: Problems,
    /// This line's bad or missing cells, in the order they are reported.
    problems: Problems,
    unit_id: Option<UnitId>,
    /// Shared by consecutive lines that name their drive the same way.
    drive: Option<Arc<Slug>>,
    collected_on: Option<DateArg>,
    group: Option<BloodGroup>,
    volume: Option<Volume>,
    product: Product,
    donor_id: Option<DonorId>,
}

/// The reading thread: parses every line, in order, into batches; stops at
/// the end of the file, a CSV error (sent on) or when the writer has gone.
fn read<R: Read>(rows: &mut Rows<R>, columns: &Columns, sender: SyncSender<Batch>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut drive: Option<Arc<Slug>> = None;
    let mut reported = 0;
    loop {
        let line = match rows.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                let _ = sender.send(Batch::Lines(batch));
                let _ = sender.send(Batch::Failed(e));
                return;
            }
        };
        let mut skipped = std::mem::take(&mut rows.problems);
        let mut problems = Problems::default();
        let unit_id = line.parse(columns, "unit_id", &mut problems).ok().flatten();
        // A cell parses to the same slug every time: parse only a new one.
        if line.get(columns, "drive") != drive.as_deref().map(Slug::as_str) {
            drive = line.parse(columns, "drive", &mut problems).ok().flatten().map(Arc::new);
        }
        let collected_on = line.parse(columns, "collected_on", &mut problems).ok().flatten();
        let group = line.parse(columns, "blood_group", &mut problems).ok().flatten();
        let volume = line.parse(columns, "volume_ml", &mut problems).ok().flatten();
        let product = line.parse(columns, "product", &mut problems).ok().flatten();
        let donor_id = line.parse(columns, "donor_id", &mut problems).ok().flatten();
        line.require(columns, REQUIRED, &mut problems);
        // Past the first problems the writer only counts them: a file of
        // bad lines must not fill the batches with messages.
        for found in [&mut skipped, &mut problems] {
            if reported >= SHOWN_ERRORS as u64 {
                found.shown = Vec::new();
            }
            reported += found.count;
        }
        batch.push(Parsed {
            number: line.number,
            skipped,
            problems,
            unit_id,
            drive: drive.clone(),
            collected_on,
            group,
            volume,
            product: product.unwrap_or(Product::WholeBlood),
            donor_id,
        });
        if batch.len() == BATCH
            && sender
                .send(Batch::Lines(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                .is_err()
        {
            return;
        }
    }
    let _ = sender.send(Batch::Lines(batch));
    let _ = sender.send(Batch::End(std::mem::take(&mut rows.problems)));
}

/// The main thread: checks and writes the parsed lines in order, in the
/// transaction, exactly as if it had parsed them itself.
fn write(ctx: &Context, txn: &Txn, receiver: Receiver<Batch>, entry: i64, problems: &mut Problems) -> Result<Tally> {
    let mut drives = Drives::default();
    let mut donors: HashMap<String, Option<crate::store::DonorRecord>> = HashMap::new();
    let mut tally = Tally::default();
    let mut bulk = txn.begin_bulk_units()?;
    // Clean anonymous lines wait here to be written together. Whatever else
    // a line needs (a lookup, a problem to report) first writes them, so
    // that everything happens in line order.
    let mut waiting: Vec<Waiting> = Vec::with_capacity(UNITS_PER_INSERT);
    macro_rules! write_waiting {
        () => {
            write_waiting(txn, &mut bulk, entry, &mut waiting, &mut tally, problems)?
        };
    }
    loop {
        let lines = match receiver.recv() {
            Ok(Batch::Lines(lines)) => lines,
            Ok(Batch::End(trailing)) => {
                write_waiting!();
                problems.append(trailing);
                break;
            }
            Ok(Batch::Failed(e)) => return Err(e),
            // The reader panicked: `import` reports how.
            Err(RecvError) => bail!("reading the file stopped before its end; nothing was written"),
        };
        for line in lines {
            if !line.skipped.is_empty() || !line.problems.is_empty() {
                write_waiting!();
            }
            problems.append(line.skipped);
            let before = problems.count;
            problems.append(line.problems);
            let drive_cell = line.drive.as_deref().map(Slug::as_str);
            let same_drive = drives.same_as_last(drive_cell);
            let slug = match same_drive {
                Some(_) => None,
                None => line.drive.as_deref(),
            };
            let Parsed {
                number,
                unit_id,
                collected_on,
                group,
                volume,
                product,
                donor_id,
                ..
            } = line;
            let (Some(unit_id), true, Some(collected_on), Some(group), Some(volume)) = (
                unit_id,
                same_drive.is_some() || slug.is_some(),
                collected_on,
                group,
                volume,
            ) else {
                continue;
            };
            let collected_on = collected_on.resolve(ctx.today);
            let drive = match (same_drive, &slug) {
                (Some(drive), _) => drive,
                (None, Some(slug)) => {
                    // A new drive may be refused, with a problem of its own.
                    write_waiting!();
                    match drives.recordable(ctx, txn, slug, number, problems)? {
                        Some(drive) => {
                            drives.remember(drive_cell, &drive);
                            drive
                        }
                        None => continue,
                    }
                }
                (None, None) => continue,
            };
            if collected_on < drive.date || collected_on > ctx.today {
                write_waiting!();
                problems.add(
                    number,
                    "collected_on",
                    &collected_on.to_string(),
                    format!(
                        "must be from the drive's date ({}) to today ({})",
                        drive.date, ctx.today
                    ),
                );
            }
            let donor = match &donor_id {
                None => None,
                Some(id) => {
                    write_waiting!();
                    let found = match donors.get(&id.key()) {
                        Some(found) => found.clone(),
                        None => {
                            let found = txn.find_donor(&id.key())?;
                            // Only a bounded number is remembered: memory stays flat on huge files.
                            if donors.len() < 100_000 {
                                donors.insert(id.key(), found.clone());
                            }
                            found
                        }
                    };
                    if found.is_none() {
                        problems.add(
                            number,
                            "donor_id",
                            id.as_str(),
                            "no such donor; add them with `bloodledger donor add` first, or leave donor_id empty",
                        );
                    }
                    found
                }
            };
            if let Err(refusal) = ctx
                .rules
                .allowed_volume(product, volume.0, donor.as_ref().and_then(|d| d.weight_kg))
            {
                write_waiting!();
                problems.add(number, "volume_ml", &volume.0.to_string(), refusal.message);
            }

            // A clean anonymous line goes straight to the insert, which finds a
            // taken id itself; the others are judged against it first (a
            // donor's own unit must not count against their eligibility).
            let straight_in = donor.is_none() && problems.count == before;
            if straight_in {
                waiting.push(Waiting {
                    number,
                    expires_on: add_days(collected_on, ctx.rules.shelf_life_days(product)),
                    unit_id,
                    drive,
                    group,
                    volume: volume.0,
                    product,
                    collected_on,
                });
                if waiting.len() == UNITS_PER_INSERT {
                    write_waiting!();
                }
                continue;
            }
            write_waiting!();
            if !straight_in && let Some(existing) = txn.unit(unit_id.as_str())? {
                match already_there(
                    &existing,
                    &drive,
                    group,
                    volume.0,
                    product,
                    collected_on,
                    donor.as_ref(),
                ) {
                    None => tally.present += 1,
                    Some(reason) => problems.add(number, "unit_id", unit_id.as_str(), reason),
                }
                continue;
            }
            if let Some(donor) = &donor {
                let events = txn.donor_events(Some(donor.id))?;
                if let Err(refusal) =
                    facts(donor, &events, Some(&drive.slug)).may_give(ctx.rules, collected_on, product)
                {
                    problems.add(number, "donor_id", &donor.donor_id, refusal.message);
                }
            }
            if problems.count > before {
                continue;
            }
            // The donation's registration: the donor's own at this drive when
            // one waits for its bag, else a new one; an anonymous donation is
            // its unit alone.
            let waiting = match &donor {
                Some(d) => txn
                    .registration_of(drive.id, d.id)?
                    .filter(|r| r.unit_id.is_none() && r.outcome == Outcome::Donated),
                None => None,
            };
            let registration = match (waiting, &donor) {
                (Some(r), _) => Some(r.id),
                (None, Some(d)) => Some(txn.insert_registration(
                    entry,
                    &NewRegistration {
                        uuid: &new_id(),
                        drive: drive.id,
                        donor: Some(d.id),
                        outcome: Outcome::Donated,
                        reason: None,
                        override_reason: None,
                    },
                )?),
                (None, None) => None,
            };
            let inserted = txn.insert_bulk_unit(
                &mut bulk,
                entry,
                &NewUnit {
                    unit_id: unit_id.as_str(),
                    drive: drive.id,
                    registration,
                    donor: donor.as_ref().map(|d| d.id),
                    blood_group: group,
                    volume_ml: volume.0,
                    product,
                    collected_on,
                    expires_on: add_days(collected_on, ctx.rules.shelf_life_days(product)),
                    override_reason: None,
                },
            )?;
            if inserted {
                tally.new += 1;
                continue;
            }
            let existing = txn
                .unit(unit_id.as_str())?
                .ok_or_else(|| anyhow::anyhow!("unit {unit_id} is taken but cannot be read"))?;
            match already_there(&existing, &drive, group, volume.0, product, collected_on, None) {
                None => tally.present += 1,
                Some(reason) => problems.add(number, "unit_id", unit_id.as_str(), reason),
            }
        }
    }
    // The end of the file wrote the last waiting lines (`Batch::End`).
    txn.finish_bulk_units(bulk)?;
    Ok(tally)
}

/// A clean anonymous line, waiting to be written with the next ones.
struct Waiting {
    number: u64,
    unit_id: UnitId,
    drive: Rc<DriveInfo>,
    group: BloodGroup,
    volume: u64,
    product: Product,
    collected_on: NaiveDate,
    expires_on: NaiveDate,
}

/// Writes the waiting lines (in one statement when there are
/// [`UNITS_PER_INSERT`] of them); a line whose unit id is taken is judged
/// as any other: already present, or refused.
fn write_waiting(
    txn: &Txn,
    bulk: &mut BulkUnits<'_>,
    entry: i64,
    waiting: &mut Vec<Waiting>,
    tally: &mut Tally,
    problems: &mut Problems,
) -> Result<()> {
    if waiting.is_empty() {
        return Ok(());
    }
    let units: Vec<NewUnit> = waiting
        .iter()
        .map(|w| NewUnit {
            unit_id: w.unit_id.as_str(),
            drive: w.drive.id,
            registration: None,
            donor: None,
            blood_group: w.group,
            volume_ml: w.volume,
            product: w.product,
            collected_on: w.collected_on,
            expires_on: w.expires_on,
            override_reason: None,
        })
        .collect();
    let written = txn.insert_bulk_units(bulk, entry, &units)?;
    drop(units);
    for (w, written) in waiting.drain(..).zip(written) {
        if written {
            tally.new += 1;
            continue;
        }
        let existing = txn
            .unit(w.unit_id.as_str())?
            .ok_or_else(|| anyhow!("unit {} is taken but cannot be read", w.unit_id))?;
        match already_there(&existing, &w.drive, w.group, w.volume, w.product, w.collected_on, None) {
            None => tally.present += 1,
            Some(reason) => problems.add(w.number, "unit_id", w.unit_id.as_str(), reason),
        }
    }
    Ok(())
}

/// A line whose unit id the ledger already holds: `None` when it is the same
/// unit (already present), else why the line is refused.
fn already_there(
    existing: &UnitRecord,
    drive: &DriveInfo,
    group: BloodGroup,
    volume_ml: u64,
    product: Product,
    collected_on: NaiveDate,
    donor: Option<&DonorRecord>,
) -> Option<String> {
    let same = existing.live
        && existing.drive_id == drive.id
        && existing.blood_group == group
        && existing.volume_ml == volume_ml
        && existing.product == product
        && existing.collected_on == collected_on
        && existing.donor.as_deref().map(crate::ledger::fold) == donor.map(|d| crate::ledger::fold(&d.donor_id));
    (!same).then(|| {
        format!(
            "unit already collected at drive `{}` on {} (entry #{}{}) with other details; unit ids are unique for all time",
            existing.drive,
            existing.collected_on,
            existing.entry,
            if existing.live { "" } else { ", since voided" }
        )
    })
}
