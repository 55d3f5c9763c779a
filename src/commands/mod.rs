//! One file per noun; each command reads like a paragraph: parse, check,
//! one transaction, render.

mod backup;
mod catalog;
mod check;
mod drive;
mod export;
mod history;
mod import;
mod movement;
mod totals;
mod void;
// Itemised records (issue 3).
mod donor;
mod unit;
// The coordinator's experience: prompts, completions and the man page.
mod ask;
pub(crate) mod complete;
mod shell;
// Multi-site ledgers (issue 7).
mod merge;

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;

use crate::cli::{ActorArgs, CampaignCommand, Command, DriveCommand, FacilityCommand};
use crate::cli::{DonorCommand, UnitCommand};
use crate::error::UserError;
use crate::ledger::rules::{Rules, VIETNAM};
use crate::ledger::text::nearest;
use crate::ledger::{Slug, fold};
use crate::output::Out;
use crate::store::{Access, Campaign, DriveRef, Facility, Store, Txn};

/// The variable that asks the binary to complete a word rather than run:
/// our own name, so that a stray `COMPLETE` in someone's environment is harmless.
pub const COMPLETE_VAR: &str = "BLOODLEDGER_COMPLETE";

pub struct Context {
    pub db: PathBuf,
    pub today: NaiveDate,
    pub rules: &'static Rules,
    pub out: Out,
    /// `--format ndjson`: JSON one record a line, which only exports stream.
    pub ndjson: bool,
    /// Whether prompts (on stderr) may use colour; `main` decides.
    pub stderr_color: bool,
}

impl Context {
    pub fn new(db: PathBuf, today: NaiveDate, out: Out, ndjson: bool) -> Context {
        Context {
            db,
            today,
            rules: &VIETNAM,
            out,
            ndjson,
            stderr_color: false,
        }
    }

    fn open(&self, access: Access) -> Result<Store> {
        Store::open(&self.db, access)
    }
}

pub fn run(ctx: &mut Context, command: Command) -> Result<()> {
    if ctx.ndjson && !matches!(command, Command::Export(_)) {
        return Err(UserError::usage("--format ndjson is for `bloodledger export`")
            .hint("use --format json for one JSON document")
            .into());
    }
    match command {
        Command::Campaign(CampaignCommand::Add(args)) => catalog::campaign_add(ctx, args),
        Command::Campaign(CampaignCommand::List) => catalog::campaign_list(ctx),
        Command::Facility(FacilityCommand::Add(args)) => catalog::facility_add(ctx, args),
        Command::Facility(FacilityCommand::List) => catalog::facility_list(ctx),
        Command::Drive(DriveCommand::Plan(args)) => drive::plan(ctx, args),
        Command::Drive(DriveCommand::Log(args)) => drive::log(ctx, args),
        Command::Drive(DriveCommand::List(args)) => drive::list(ctx, args),
        Command::Drive(DriveCommand::Show(args)) => drive::show(ctx, args),
        Command::Drive(DriveCommand::Close(args)) => drive::set_closed(ctx, args, true),
        Command::Drive(DriveCommand::Reopen(args)) => drive::set_closed(ctx, args, false),
        Command::Transfer(args) => movement::transfer(ctx, args),
        Command::Discard(args) => movement::discard(ctx, args),
        Command::Totals(args) => totals::run(ctx, args),
        Command::Check => check::run(ctx),
        Command::History(args) => history::run(ctx, args),
        Command::Void(args) => void::run(ctx, args),
        Command::Import(args) => import::run(ctx, args),
        Command::Export(args) => export::run(ctx, args),
        Command::Backup(args) => backup::run(ctx, args),
        Command::Donor(DonorCommand::Add(args)) => donor::add(ctx, args),
        Command::Donor(DonorCommand::Show(args)) => donor::show(ctx, args),
        Command::Donor(DonorCommand::List(args)) => donor::list(ctx, args),
        Command::Donor(DonorCommand::Eligible(args)) => donor::eligible(ctx, args),
        Command::Register(args) => donor::register(ctx, args),
        Command::Unit(UnitCommand::Collect(args)) => unit::collect(ctx, args),
        Command::Unit(UnitCommand::Show(args)) => unit::show(ctx, args),
        Command::Stock(args) => unit::stock(ctx, args),
        Command::Completions(args) => shell::completions(ctx, args),
        Command::Man => shell::man(ctx),
        Command::Merge(args) => merge::run(ctx, args),
        Command::Sites => merge::sites(ctx),
    }
}

/// `bloodledger` with no command prints an overview of the everyday ones.
pub fn run_or_overview(ctx: &mut Context, command: Option<Command>) -> Result<()> {
    match command {
        Some(command) => run(ctx, command),
        None => crate::output::overview(&mut ctx.out),
    }
}

fn actor(args: &ActorArgs) -> String {
    args.by
        .as_ref()
        .map(|label| label.as_str().to_string())
        .unwrap_or_else(crate::config::os_user)
}

/// "did you mean `x`?" for a mistyped name, if one is close.
fn did_you_mean(wanted: &str, candidates: &[String]) -> String {
    nearest(wanted, candidates.iter().map(String::as_str))
        .map(|near| format!("did you mean `{near}`? "))
        .unwrap_or_default()
}

fn require_drive(txn: &Txn, slug: &Slug) -> Result<DriveRef> {
    if let Some(drive) = txn.find_drive(&slug.key())? {
        return Ok(drive);
    }
    let suggestion = did_you_mean(slug.as_str(), &txn.drive_slugs()?);
    Err(UserError::new(format!("no drive `{slug}`"))
        .hint(format!("{suggestion}see `bloodledger drive list`"))
        .into())
}

fn require_facility(txn: &Txn, slug: &Slug) -> Result<Facility> {
    if let Some(facility) = txn.facilities(Some(&slug.key()))?.pop() {
        return Ok(facility);
    }
    let known: Vec<String> = txn.facilities(None)?.into_iter().map(|f| f.slug).collect();
    Err(UserError::new(format!("no facility `{slug}`"))
        .hint(format!(
            "{}add it with `bloodledger facility add {slug} --name \"…\"`, or see `bloodledger facility list`",
            did_you_mean(slug.as_str(), &known)
        ))
        .into())
}

fn require_campaign(txn: &Txn, slug: &str) -> Result<Campaign> {
    if let Some(campaign) = txn.campaigns(Some(&fold(slug)))?.pop() {
        return Ok(campaign);
    }
    let known: Vec<String> = txn.campaigns(None)?.into_iter().map(|c| c.slug).collect();
    Err(UserError::new(format!("no campaign `{slug}`"))
        .hint(format!(
            "{}add it with `bloodledger campaign add {slug} --name \"…\"`, or see `bloodledger campaign list`",
            did_you_mean(slug, &known)
        ))
        .into())
}
