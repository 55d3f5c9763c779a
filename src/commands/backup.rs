//! `backup PATH`.

use anyhow::Result;

use super::Context;
use crate::refuse;
use crate::store::{Access, Store};

pub fn run(ctx: &mut Context, args: crate::cli::BackupArgs) -> Result<()> {
    if !ctx.db.exists() {
        refuse!(
            hint = "check --db or BLOODLEDGER_DB",
            "there is no ledger at {} to back up",
            ctx.db.display()
        );
    }
    if args.path.exists() {
        refuse!(
            hint = "choose a new file name, e.g. one with today's date",
            "{} already exists; a backup never overwrites a file",
            args.path.display()
        );
    }
    let store = Store::open(&ctx.db, Access::Read)?;
    store.backup_to(&args.path)?;
    crate::output::backed_up(&mut ctx.out, &args.path)
}
