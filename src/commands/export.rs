//! `export drives|summary [--out FILE]`.

use anyhow::Result;

use super::Context;
use crate::cli::{ExportArgs, ExportKind, Format};
use crate::ledger::totals::{By, Selection, totals};
use crate::output;
use crate::output::number::{english, totals_sentence};
use crate::output::{RecordWriter, SummaryJson};
use crate::store::{Access, ExportTable};

pub fn run(ctx: &mut Context, args: ExportArgs) -> Result<()> {
    if args.kind == ExportKind::Bundle {
        return super::merge::export_bundle(ctx, args);
    }
    if args.since.is_some() {
        return Err(crate::error::UserError::usage("--since is for `export bundle`")
            .hint("leave it out, or use `bloodledger totals --from DATE` for figures since a day")
            .into());
    }
    // Exports are documents: without --format they are JSON.
    if ctx.out.format == Format::Table {
        ctx.out.format = Format::Json;
    }
    let mut store = ctx.open(Access::Read)?;
    let site_id = store.site_id().to_string();
    let txn = store.begin()?;
    if let Some(path) = &args.out {
        ctx.out.redirect(path)?;
    }
    let table = match args.kind {
        ExportKind::Units => Some((ExportTable::Units, "units")),
        ExportKind::Registrations => Some((ExportTable::Registrations, "registrations")),
        ExportKind::Transfers => Some((ExportTable::Transfers, "transfers")),
        _ => None,
    };
    if let Some((table, name)) = table {
        let mut writer = RecordWriter::start(&mut ctx.out, name, table.columns(args.include_pii), ctx.ndjson)?;
        txn.for_each_record(table, args.include_pii, |cells| writer.write(cells))?;
        writer.finish()?;
        return Ok(());
    }
    let drives = txn.drives(None)?;
    match args.kind {
        ExportKind::Drives => output::export_drives(&mut ctx.out, &drives, ctx.ndjson),
        ExportKind::Bundle | ExportKind::Units | ExportKind::Registrations | ExportKind::Transfers => {
            unreachable!("written above")
        }
        ExportKind::Summary => {
            let everything = Selection::default();
            let overall = totals(&drives, &everything, None).figures;
            let by = |key| totals(&drives, &everything, Some(key)).rows;
            let (by_campaign, by_year, by_drive) = (by(By::Campaign), by(By::Year), by(By::Drive));
            let summary = SummaryJson {
                schema_version: output::SCHEMA_VERSION,
                generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                site_id: &site_id,
                totals: &overall,
                summary: totals_sentence(overall.units, overall.years, english()),
                by_campaign: &by_campaign,
                by_year: &by_year,
                by_drive: &by_drive,
            };
            output::export_summary(&mut ctx.out, &summary, ctx.ndjson)
        }
    }
}
