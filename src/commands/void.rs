//! `void ENTRY --reason`: take an entry back. Its records leave every report;
//! the journal keeps both the entry and the void.

use anyhow::Result;
use serde_json::json;

use super::{Context, actor};
use crate::cli::VoidArgs;
use crate::error::UserError;
use crate::ledger::check::drive_problems;
use crate::output;
use crate::refuse;
use crate::store::{Access, NewEntry, StoredEntry, Txn};

fn find(txn: &Txn, typed: &str) -> Result<StoredEntry> {
    let trimmed = typed.trim().trim_start_matches('#');
    let found = match trimmed.parse::<i64>() {
        Ok(number) => txn.find_entry(Some(number), None)?,
        Err(_) => txn.find_entry(None, Some(trimmed))?,
    };
    found.ok_or_else(|| {
        UserError::new(format!("no entry `{typed}`"))
            .hint("give an entry number (as in `bloodledger history`) or an entry id")
            .into()
    })
}

/// Numbers of later entries to void first, as text: "#14, #15".
fn listed(numbers: &[i64]) -> String {
    numbers.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ")
}

pub fn run(ctx: &mut Context, args: VoidArgs) -> Result<()> {
    let actor = actor(&args.actor);
    // Voiding an import takes back every unit of it: seconds at scale, so
    // the ledger is shared, not taken alone.
    let mut store = ctx.open(Access::BulkWrite)?;
    let txn = store.begin()?;
    let target = find(&txn, &args.entry)?;
    if let Some(voided) = target.voids {
        refuse!(
            hint = format!("to restore entry #{voided}, record it again"),
            "entry #{} is itself a void and cannot be voided",
            target.number
        );
    }
    if txn.entry_action(target.number)?.as_deref() == Some("merge") {
        refuse!(
            hint = "to take back what a merge brought, void those entries themselves (see `bloodledger history`)",
            "entry #{} records a merge and cannot be voided: the merged entries keep their own ids",
            target.number
        );
    }
    if let Some(by) = target.voided_by {
        refuse!(
            hint = "see `bloodledger history`",
            "entry #{} was already voided by entry #{by}",
            target.number
        );
    }
    let mut users = txn.users_of_catalog_entry(target.number)?;
    users.extend(txn.users_of_item_entry(target.number)?);
    users.sort_unstable();
    users.dedup();
    if !users.is_empty() {
        refuse!(
            hint = format!("void those entries first: {}", listed(&users)),
            "entry #{} ({}) is still used by entries {}",
            target.number,
            target.summary,
            listed(&users)
        );
    }
    let summary = format!("Voided #{}: {}", target.number, target.summary);
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "void",
        drive_uuid: target.drive_uuid.as_deref(),
        summary: summary.clone(),
        payload: json!({"void": {"entry": target.id, "reason": args.reason.as_str()}}),
        voids: Some(target.number),
        reason: Some(args.reason.as_str()),
    })?;
    for uuid in txn.drives_of_entry(target.number)? {
        check_drive_after_void(ctx, &txn, &uuid, &target)?;
    }
    txn.commit()?;
    output::written(&mut ctx.out, "void", &entry, &summary)
}

/// Voiding must not leave a drive behind that breaks the rules: transfers
/// with no collection to come from, or records of a drive that is gone.
fn check_drive_after_void(ctx: &Context, txn: &Txn, drive_uuid: &str, target: &StoredEntry) -> Result<()> {
    let later = txn.later_live_entries_of_drive(drive_uuid, target.number)?;
    let drive = match txn.drive_id_by_uuid(drive_uuid)? {
        Some(id) => txn.drives(Some(id))?.pop(),
        None => None,
    };
    let problem = match &drive {
        None if !later.is_empty() => Some("the drive would be gone but its later entries would remain".to_string()),
        None => None,
        Some(drive) => drive_problems(drive, ctx.rules).into_iter().next().map(|p| p.message),
    };
    if let Some(problem) = problem {
        refuse!(
            hint = format!(
                "void the later entries of this drive first ({}), then this one",
                listed(&later)
            ),
            "voiding entry #{} would leave its drive inconsistent: {problem}",
            target.number
        );
    }
    Ok(())
}
