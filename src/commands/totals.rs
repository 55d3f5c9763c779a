//! `totals`: cumulative figures over a selection of drives.

use anyhow::Result;

use super::{Context, did_you_mean, require_campaign};
use crate::cli::{ByKey, SelectionArgs, TotalsArgs};
use crate::error::UserError;
use crate::ledger::totals::{By, Selection};
use crate::ledger::{Drive, fold};
use crate::output;
use crate::store::{Access, Txn};

/// The filters as typed, checked against what the ledger knows so that a
/// typo is an error with a suggestion rather than a silent zero.
pub(super) fn selection(ctx: &Context, txn: &Txn, args: &SelectionArgs) -> Result<Selection> {
    let campaign = match &args.campaign {
        Some(slug) => Some(require_campaign(txn, slug)?.slug),
        None => None,
    };
    let drives = if args.province.is_some() || args.district.is_some() {
        txn.drives(None)?
    } else {
        Vec::new()
    };
    known_place("province", &args.province, &drives, |d| &d.attrs.province)?;
    known_place("district", &args.district, &drives, |d| &d.attrs.district)?;
    let selection = Selection {
        campaign,
        province: args.province.clone(),
        district: args.district.clone(),
        from: args.from.map(|d| d.resolve(ctx.today)),
        to: args.to.map(|d| d.resolve(ctx.today)),
    };
    if let (Some(from), Some(to)) = (selection.from, selection.to)
        && from > to
    {
        return Err(UserError::new(format!("--from {from} is after --to {to}"))
            .hint("swap them")
            .into());
    }
    Ok(selection)
}

fn known_place(
    kind: &str,
    wanted: &Option<String>,
    drives: &[Drive],
    place: impl Fn(&Drive) -> &Option<String>,
) -> Result<()> {
    let Some(wanted) = wanted else { return Ok(()) };
    let mut known: Vec<String> = drives.iter().filter_map(|d| place(d).clone()).collect();
    if known.iter().any(|k| fold(k) == fold(wanted)) {
        return Ok(());
    }
    known.sort();
    known.dedup();
    Err(UserError::new(format!("no drive in {kind} `{wanted}`"))
        .hint(format!("{}see `bloodledger drive list`", did_you_mean(wanted, &known)))
        .into())
}

pub fn run(ctx: &mut Context, args: TotalsArgs) -> Result<()> {
    if args.chart && ctx.out.format != crate::cli::Format::Table {
        return Err(
            UserError::usage("--chart draws for people, not for --format json or csv")
                .hint("leave out --chart, or --format")
                .into(),
        );
    }
    let by = args.by.map(|key| match key {
        ByKey::Year => By::Year,
        ByKey::Month => By::Month,
        ByKey::Drive => By::Drive,
        ByKey::Campaign => By::Campaign,
        ByKey::Province => By::Province,
        ByKey::District => By::District,
        ByKey::Group => By::Group,
        ByKey::Facility => By::Facility,
        ByKey::Site => By::Site,
    });
    let lang = output::number::language(crate::config::sentence_language(args.lang.as_deref()))
        .unwrap_or_else(output::number::english);
    let mut store = ctx.open(Access::Read)?;
    let txn = store.begin()?;
    let selection = selection(ctx, &txn, &args.selection)?;
    // Every drive, overall or by year: the yearly rollups, not the drives.
    let rolled_up = if selection.is_everything() {
        txn.year_figures()?
            .and_then(|years| crate::ledger::totals::totals_of_years(years, by))
    } else {
        None
    };
    let totals = match rolled_up {
        Some(totals) => totals,
        None => crate::ledger::totals::totals(&txn.drives(None)?, &selection, by),
    };
    if args.chart {
        return output::totals_chart(&mut ctx.out, &totals, lang, crate::config::terminal_width());
    }
    output::totals(&mut ctx.out, &totals, lang)
}
