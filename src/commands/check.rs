//! `check`: silent when every invariant holds; precise when not.

use anyhow::Result;

use super::Context;
use crate::error::UserError;
use crate::ledger::check::{Problem, drive_problems, tally_differences};
use crate::output;
use crate::store::Access;

pub fn run(ctx: &mut Context) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    // It compares every unit with the caches: sorts too big for memory at national scale.
    store.temporary_tables_on_disk()?;
    let txn = store.begin()?;
    let mut problems: Vec<_> = txn
        .drives(None)?
        .iter()
        .flat_map(|drive| {
            let mut problems = drive_problems(drive, ctx.rules);
            problems.extend(tally_differences(drive));
            problems
        })
        .collect();
    // The derived caches (per-drive figures, stock) must equal the records.
    problems.extend(
        txn.cache_differences()?
            .into_iter()
            .map(|(drive, message)| Problem { drive, message }),
    );
    problems.extend(
        txn.summary_differences()?
            .into_iter()
            .map(|(drive, message)| Problem { drive, message }),
    );
    output::problems(&mut ctx.out, &problems)?;
    if problems.is_empty() {
        return Ok(());
    }
    Err(UserError::new(format!(
        "check found {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ))
    .hint("each line above names the drive and the commands to investigate it")
    .into())
}
