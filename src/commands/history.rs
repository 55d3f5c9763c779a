//! `history`: the journal, voided entries too.

use anyhow::Result;

use super::{Context, did_you_mean};
use crate::cli::HistoryArgs;
use crate::error::UserError;
use crate::output;
use crate::store::Access;

pub fn run(ctx: &mut Context, args: HistoryArgs) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let key = args.drive.as_ref().map(|slug| slug.key());
    let entries = txn.history(key.as_deref())?;
    if let Some(slug) = &args.drive
        && entries.is_empty()
    {
        return Err(UserError::new(format!("no entries for drive `{slug}`"))
            .hint(format!(
                "{}see `bloodledger drive list`",
                did_you_mean(slug.as_str(), &txn.drive_slugs()?)
            ))
            .into());
    }
    output::history(&mut ctx.out, &entries)
}
