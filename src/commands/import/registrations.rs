//! `import registrations`: drive,donor_id,outcome,reason. `outcome` is
//! donated, deferred, permanently-deferred or did-not-bleed; `donor_id` may
//! be empty for a person not in the registry.
//!
//! An anonymous line has no key of its own, so importing twice is made
//! idempotent by counting: the n-th identical anonymous line of a drive is
//! already present when the drive has at least n such registrations.

use std::collections::HashMap;
use std::io::Read;

use anyhow::Result;

use super::{Drives, Rows, Tally};
use crate::commands::Context;
use crate::commands::donor::facts;
use crate::ledger::{DonorId, Label, Outcome, Slug, new_id};
use crate::store::{NewRegistration, Txn};

pub const REQUIRED: &[&str] = &["drive", "outcome"];
pub const OPTIONAL: &[&str] = &["donor_id", "reason"];

pub fn import<R: Read>(ctx: &Context, txn: &Txn, rows: &mut Rows<R>, entry: i64) -> Result<Tally> {
    let columns = rows.columns(REQUIRED, OPTIONAL)?;
    let mut drives = Drives::default();
    // Per (drive, outcome, reason): lines seen so far, and how many such
    // registrations the ledger held before this import (asked once). A
    // national file has a few keys per drive for 100 000 drives: reasons
    // are kept once each and keys stay small.
    let mut anonymous: HashMap<(i64, Outcome, u32), (u32, u32)> = HashMap::new();
    let mut reasons: HashMap<Option<String>, u32> = HashMap::new();
    let mut tally = Tally::default();
    while let Some(line) = rows.next_line()? {
        let problems = &mut rows.problems;
        let before = problems.count;
        let slug = line.parse::<Slug>(&columns, "drive", problems).ok().flatten();
        let outcome = line.parse::<Outcome>(&columns, "outcome", problems).ok().flatten();
        let donor_id = line.parse::<DonorId>(&columns, "donor_id", problems).ok().flatten();
        let reason = line.parse::<Label>(&columns, "reason", problems).ok().flatten();
        line.require(&columns, REQUIRED, problems);
        let (Some(slug), Some(outcome)) = (slug, outcome) else {
            continue;
        };
        let deferral = matches!(outcome, Outcome::Deferred | Outcome::PermanentlyDeferred);
        if deferral && reason.is_none() {
            problems.add(line.number, "reason", "", "a deferral needs its reason");
        }
        let Some(drive) = drives.recordable(ctx, txn, &slug, line.number, problems)? else {
            continue;
        };
        let reason = reason.map(|r| r.as_str().to_string());
        match &donor_id {
            None => {
                if outcome == Outcome::Donated {
                    problems.add(
                        line.number,
                        "outcome",
                        "donated",
                        "an anonymous donation is recorded with its unit: `import units`",
                    );
                }
                if problems.count > before {
                    continue;
                }
                let known = reasons.len() as u32;
                let reason_key = *reasons.entry(reason.clone()).or_insert(known);
                let key = (drive.id, outcome, reason_key);
                let (seen, present) = match anonymous.get_mut(&key) {
                    Some(counts) => counts,
                    None => {
                        let present = txn.anonymous_registrations(drive.id, outcome, reason.as_deref())?;
                        let present = u32::try_from(present).unwrap_or(u32::MAX);
                        anonymous.entry(key).or_insert((0, present))
                    }
                };
                *seen += 1;
                if *seen <= *present {
                    tally.present += 1;
                    continue;
                }
                insert(txn, entry, drive.id, None, outcome, reason.as_deref())?;
                tally.new += 1;
            }
            Some(id) => {
                let Some(donor) = txn.find_donor(&id.key())? else {
                    problems.add(
                        line.number,
                        "donor_id",
                        id.as_str(),
                        "no such donor; add them with `bloodledger donor add` first",
                    );
                    continue;
                };
                if let Some(existing) = txn.registration_of(drive.id, donor.id)? {
                    if existing.outcome == outcome {
                        tally.present += 1;
                    } else {
                        problems.add(
                            line.number,
                            "outcome",
                            outcome.as_str(),
                            format!(
                                "donor already registered at this drive as {} (entry #{})",
                                existing.outcome, existing.entry
                            ),
                        );
                    }
                    continue;
                }
                if outcome == Outcome::Donated {
                    let events = txn.donor_events(Some(donor.id))?;
                    if let Err(refusal) = facts(&donor, &events, Some(&drive.slug)).may_give(
                        ctx.rules,
                        drive.date,
                        crate::ledger::Product::WholeBlood,
                    ) {
                        problems.add(line.number, "donor_id", id.as_str(), refusal.message);
                    }
                }
                if problems.count > before {
                    continue;
                }
                insert(txn, entry, drive.id, Some(donor.id), outcome, reason.as_deref())?;
                tally.new += 1;
            }
        }
    }
    Ok(tally)
}

fn insert(txn: &Txn, entry: i64, drive: i64, donor: Option<i64>, outcome: Outcome, reason: Option<&str>) -> Result<()> {
    txn.insert_registration(
        entry,
        &NewRegistration {
            uuid: &new_id(),
            drive,
            donor,
            outcome,
            reason,
            override_reason: None,
        },
    )?;
    Ok(())
}
