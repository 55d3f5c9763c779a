//! The whole command-line surface, as clap derive types.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use crate::ledger::merge::SinceArg;
use crate::ledger::{
    BloodGroup, Count, DateArg, DiscardReason, DonorId, GroupCount, Label, Product, Sex, Slug, UnitId, Volume, WeightKg,
};

#[derive(Debug, Parser)]
#[command(
    name = "bloodledger",
    version,
    about = "The ledger of voluntary blood-donation drives: registrations, units, transfers and totals.",
    after_help = "Everyday commands:
  bloodledger drive log rj-sonla-2021 --date 2021-07-10 \\
      --registered 978 --collected 838 --transferred 838 --to nihbt
  bloodledger drive list
  bloodledger totals --campaign red-journey --province \"son la\"
  bloodledger history

Run `bloodledger COMMAND --help` for each command's options and examples."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// None: `bloodledger` alone prints an overview of the everyday commands.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The ledger file [default: the platform data directory's bloodledger/ledger.db]
    #[arg(long, global = true, env = "BLOODLEDGER_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// Short for --format json
    #[arg(long, global = true, conflicts_with = "format")]
    pub json: bool,

    /// When to use colour (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print nothing on success except requested data
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The command line, parsed as the whole tree parses it, or clap's error
/// worded by the whole tree.
///
/// clap copies each global option into every subcommand of each command it
/// builds: some 150 copies for one `drive log`, two fifths of its parsing
/// and 0.2 ms of every start (measured: issue 5). Global options given
/// before the subcommand, or not at all, as people and scripts mostly give
/// them, parse the same as options of the top command alone, so that is
/// tried first. Whatever it does not take (a global option after the
/// subcommand, help, a mistake) fails there and is parsed again by the
/// whole tree: an answer of the short way is always the whole tree's.
pub fn parse(args: &[OsString], color: clap::ColorChoice) -> Result<Cli, clap::Error> {
    // The trees are never freed: that would cost a quarter of a millisecond
    // more than building them, and the process ends soon anyway.
    let short = Box::leak(Box::new(top_level_globals(Cli::command().color(color))));
    // The whole tree refuses a global option's variable set empty (such as
    // `BLOODLEDGER_DB=`) even where the option is given: left to it.
    let empty_variable = short
        .get_arguments()
        .filter_map(|a| a.get_env())
        .any(|var| std::env::var_os(var).is_some_and(|v| v.is_empty()));
    if !empty_variable && let Ok(cli) = parse_with(short, args) {
        return Ok(cli);
    }
    let whole = Box::leak(Box::new(Cli::command().color(color)));
    parse_with(whole, args).map_err(|e| e.format(whole))
}

/// The command tree with its global options kept to the top command.
fn top_level_globals(mut command: clap::Command) -> clap::Command {
    let globals: Vec<clap::Id> = command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().clone())
        .collect();
    for id in globals {
        command = command.mut_arg(id, |a| a.global(false));
    }
    command
}

fn parse_with(command: &mut clap::Command, args: &[OsString]) -> Result<Cli, clap::Error> {
    command
        .try_get_matches_from_mut(args)
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches))
}

impl GlobalArgs {
    /// The report format, and whether JSON should stream as one record a line.
    pub fn format(&self) -> (Format, bool) {
        match self.format {
            _ if self.json => (Format::Json, false),
            FormatArg::Table => (Format::Table, false),
            FormatArg::Json => (Format::Json, false),
            FormatArg::Csv => (Format::Csv, false),
            FormatArg::Ndjson => (Format::Json, true),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    /// One JSON record per line (only `export`)
    Ndjson,
}

/// How reports render; `ndjson` is an export's way of streaming JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Who is recording: written into each journal entry.
#[derive(Debug, Args)]
pub struct ActorArgs {
    /// Who records this entry [default: the operating-system user]
    #[arg(long = "by", value_name = "NAME", env = "BLOODLEDGER_BY")]
    pub by: Option<Label>,
}

// Parsed once per run: the size of the largest variant costs nothing.
// `defer` here and on every subcommand enum: a command's options are built
// only when that command runs (or help, completion or the man page needs
// them); building all of them was a fifth of a millisecond of every start.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Campaigns: named programmes such as Red Journey
    #[command(
        subcommand,
        after_help = "Examples:\n  bloodledger campaign add red-journey --name \"Hành trình Đỏ\" --started 2013\n  bloodledger campaign list"
    )]
    Campaign(CampaignCommand),
    /// Facilities: hospitals and blood centres that receive units
    #[command(
        subcommand,
        after_help = "Examples:\n  bloodledger facility add nihbt --name \"National Institute of Hematology\"\n  bloodledger facility list"
    )]
    Facility(FacilityCommand),
    /// Drives: plan, log the results, list, show, close, reopen
    #[command(
        subcommand,
        after_help = "Examples:\n  bloodledger drive plan rj-muongla-2027 --date 2027-07-16\n  bloodledger drive log rj-muongla-2027 --registered 310 --collected 265\n  bloodledger drive list --status held\n  bloodledger drive show rj-muongla-2027"
    )]
    Drive(DriveCommand),
    /// Move units from a drive's stock to a facility
    #[command(
        after_help = "Examples:\n  bloodledger transfer --drive rj-sonla-2021 --count 200 --to nihbt \\\n      --date 2021-07-11\n  bloodledger transfer --to nihbt G123417654321A SL-2021-0042"
    )]
    Transfer(TransferArgs),
    /// Take units out of a drive's stock for a reason other than transfer
    #[command(
        after_help = "Examples:\n  bloodledger discard --drive rj-sonla-2021 --count 3 --reason reactive\n  bloodledger discard G123417654321A --reason damaged"
    )]
    Discard(DiscardArgs),
    /// Cumulative totals: units, volume, transfers, stock, by year or place
    #[command(
        after_help = "Examples:\n  bloodledger totals --campaign red-journey --province \"son la\"\n  bloodledger totals --by year --chart\n  bloodledger totals --lang vi\n  bloodledger totals --by year --format csv\n  bloodledger totals --json | jq .units"
    )]
    Totals(TotalsArgs),
    /// Check every invariant; silent with exit 0 when all hold
    #[command(after_help = "Example:\n  bloodledger check && echo consistent")]
    Check,
    /// The journal: every entry, voided ones too
    #[command(after_help = "Examples:\n  bloodledger history\n  bloodledger history --drive rj-sonla-2021 --json")]
    History(HistoryArgs),
    /// Take back an entry; its records leave every report, the journal keeps both
    #[command(after_help = "Example:\n  bloodledger void 12 --reason \"typed 883 for 838\"")]
    Void(VoidArgs),
    /// Import records from CSV: all or nothing, and importing twice adds nothing
    #[command(
        after_help = "Examples:\n  bloodledger import drives fixtures/drives.csv --dry-run\n  cat drives.csv | bloodledger import drives -"
    )]
    Import(ImportArgs),
    /// Export records or the nightly summary as JSON, NDJSON or CSV
    #[command(
        after_help = "Examples:\n  bloodledger export summary --out /var/reports/nightly.json\n  bloodledger export drives --format csv --out drives.csv\n  bloodledger export bundle --out muongla-2027-07.bundle --since 2027-07-01"
    )]
    Export(ExportArgs),
    /// Copy the ledger consistently, even while others write to it
    #[command(after_help = "Example:\n  bloodledger backup /media/usb/ledger-2026-11-25.db")]
    Backup(BackupArgs),
    /// Donors: the registry of people who give (personal data is shown only by `donor show`)
    #[command(
        subcommand,
        after_help = "Examples:\n  bloodledger donor add D-0001 --name \"Nguyễn Văn An\" --born 1990-05-20 --sex M\n  bloodledger donor show D-0001\n  bloodledger donor eligible --on 2027-07-16"
    )]
    Donor(DonorCommand),
    /// Record a person presenting at a drive: donated, deferred or did not bleed
    #[command(
        after_help = "Examples:\n  bloodledger register rj-muongla-2027 --donor D-0001 --donated\n  bloodledger register rj-muongla-2027 --donor D-0002 \\\n      --deferred \"low haemoglobin\"\n  bloodledger register rj-muongla-2027 --donor D-0003 \\\n      --deferred \"hepatitis B\" --permanent"
    )]
    Register(RegisterArgs),
    /// Units: collect one bag, or show its whole path
    #[command(
        subcommand,
        after_help = "Examples:\n  bloodledger unit collect SL-0042 --drive rj-muongla-2027 --group O+ \\\n      --volume 350\n  bloodledger unit show SL-0042"
    )]
    Unit(UnitCommand),
    /// Itemised units in stock, by drive or blood group, or about to expire
    #[command(
        after_help = "Examples:\n  bloodledger stock\n  bloodledger stock --expiring-within 7\n  bloodledger stock --by group --json"
    )]
    Stock(StockArgs),
    /// Print a shell's completion script (drive slugs complete too)
    #[command(
        after_help = "Examples:\n  echo 'source <(bloodledger completions bash)' >> ~/.bashrc\n  echo 'source <(bloodledger completions zsh)' >> ~/.zshrc\n  bloodledger completions fish > ~/.config/fish/completions/bloodledger.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), for `man`
    #[command(
        after_help = "Examples:\n  bloodledger man | man -l -\n  bloodledger man > ~/.local/share/man/man1/bloodledger.1"
    )]
    Man,
    /// Merge another site's ledger or bundle into this one, all or nothing
    #[command(
        after_help = "Examples:\n  bloodledger --db province.db merge /media/usb/muongla.db\n  bloodledger --db province.db merge muongla-2027-07.bundle --dry-run"
    )]
    Merge(MergeArgs),
    /// The sites whose entries this ledger holds, with their last merge
    #[command(after_help = "Example:\n  bloodledger sites --json")]
    Sites,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Another ledger file (opened read-only) or a bundle from `export bundle`
    pub path: PathBuf,
    /// Check everything and say what would be merged, but write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV file, or - for standard input
    pub file: PathBuf,
    /// Check every line and say what would be added, but write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    Drives,
    Units,
    Registrations,
    Transfers,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    #[arg(value_enum)]
    pub kind: ExportKind,
    /// Write to FILE (whole or not at all) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Include donors' names, birth dates, phones and national ids
    #[arg(long)]
    pub include_pii: bool,
    /// With `bundle`: only entries recorded on or after DATE (UTC), or after ENTRY (#42 or its id)
    #[arg(long, value_name = "DATE|ENTRY")]
    pub since: Option<SinceArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportKind {
    Drives,
    Units,
    Registrations,
    Transfers,
    Summary,
    /// Entries with their records, for `merge` at another site (always --out; holds personal data)
    Bundle,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (a new file)
    pub path: PathBuf,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum CampaignCommand {
    /// Add a campaign
    #[command(after_help = "Example:\n  bloodledger campaign add red-journey --name \"Hành trình Đỏ\" --started 2013")]
    Add(CampaignAddArgs),
    /// List campaigns
    #[command(after_help = "Example:\n  bloodledger campaign list")]
    List,
}

#[derive(Debug, Args)]
pub struct CampaignAddArgs {
    /// A short name for typing, e.g. red-journey
    pub slug: Slug,
    /// The campaign's full name
    #[arg(long)]
    pub name: Label,
    /// The year it started
    #[arg(long, value_parser = clap::value_parser!(i64).range(1900..=2200))]
    pub started: Option<i64>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum FacilityCommand {
    /// Add a facility
    #[command(
        after_help = "Example:\n  bloodledger facility add nihbt --province \"Hà Nội\" \\\n      --name \"National Institute of Hematology and Blood Transfusion\""
    )]
    Add(FacilityAddArgs),
    /// List facilities
    #[command(after_help = "Example:\n  bloodledger facility list")]
    List,
}

#[derive(Debug, Args)]
pub struct FacilityAddArgs {
    /// A short name for typing, e.g. nihbt
    pub slug: Slug,
    /// The facility's full name
    #[arg(long)]
    pub name: Label,
    /// The province it is in
    #[arg(long)]
    pub province: Option<Label>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum DriveCommand {
    /// Plan a drive (a past date is accepted, for back-entry of paper forms)
    #[command(
        after_help = "Examples:\n  bloodledger drive plan rj-muongla-2027 --date 2027-07-16 \\\n      --campaign red-journey --province \"Sơn La\" --district \"Mường La\"\n  bloodledger drive plan    # in a terminal: asks for the slug, date and place"
    )]
    Plan(DrivePlanArgs),
    /// Log a drive's results from the paper forms; creates the drive if new
    #[command(
        after_help = "Examples:\n  bloodledger drive log rj-sonla-2021 --date 2021-07-10 --campaign red-journey \\\n      --province \"Sơn La\" --registered 978 --collected 838 --deferred 140 \\\n      --transferred 838 --to nihbt\n  bloodledger drive log rj-muongla-2027 --registered 310 --collected 265 \\\n      --group O+=110 --group B+=80 --group A+=60 --group AB+=15\n  bloodledger drive log     # in a terminal: asks for each value, then confirms"
    )]
    Log(DriveLogArgs),
    /// List drives
    #[command(after_help = "Example:\n  bloodledger drive list --format csv")]
    List(DriveListArgs),
    /// Show one drive's figures, transfers and discards
    #[command(after_help = "Example:\n  bloodledger drive show rj-sonla-2021")]
    Show(DriveSlugArgs),
    /// Close a drive: it refuses new records until reopened
    #[command(after_help = "Example:\n  bloodledger drive close rj-sonla-2021")]
    Close(DriveSlugActorArgs),
    /// Reopen a closed drive
    #[command(after_help = "Example:\n  bloodledger drive reopen rj-sonla-2021")]
    Reopen(DriveSlugActorArgs),
}

#[derive(Debug, Args)]
pub struct DriveDetails {
    /// The drive's full name
    #[arg(long)]
    pub name: Option<Label>,
    /// The campaign it belongs to (a campaign slug)
    #[arg(long, add = ArgValueCandidates::new(crate::commands::complete::campaign_slugs))]
    pub campaign: Option<Slug>,
    /// Province, e.g. "Sơn La" (matching ignores case and diacritics)
    #[arg(long)]
    pub province: Option<Label>,
    /// District, e.g. "Mường La"
    #[arg(long)]
    pub district: Option<Label>,
    /// Where it is held
    #[arg(long)]
    pub venue: Option<Label>,
    /// Who organises it
    #[arg(long)]
    pub organiser: Option<Label>,
}

#[derive(Debug, Args)]
pub struct DrivePlanArgs {
    /// A short name for typing, e.g. rj-muongla-2027
    pub slug: Option<Slug>,
    /// The day of the drive: YYYY-MM-DD, today or yesterday
    #[arg(long)]
    pub date: Option<DateArg>,
    #[command(flatten)]
    pub details: DriveDetails,
    /// Registrations hoped for
    #[arg(long)]
    pub target: Option<Count>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct DriveLogArgs {
    /// The drive's slug; a new one is created (then --date is required)
    #[arg(add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub slug: Option<Slug>,
    /// The day of the drive: YYYY-MM-DD, today or yesterday
    #[arg(long)]
    pub date: Option<DateArg>,
    #[command(flatten)]
    pub details: DriveDetails,
    /// People who registered
    #[arg(long)]
    pub registered: Option<Count>,
    /// Units collected
    #[arg(long)]
    pub collected: Option<Count>,
    /// People deferred at screening [default: 0]
    #[arg(long)]
    pub deferred: Option<Count>,
    /// Total millilitres of all units collected
    #[arg(long)]
    pub volume_ml: Option<Count>,
    /// Units of one blood group, e.g. O+=120 (repeat for each group)
    #[arg(long = "group", value_name = "GROUP=N")]
    pub groups: Vec<GroupCount>,
    /// Units transferred to --to on the drive's date
    #[arg(long, requires = "to")]
    pub transferred: Option<Count>,
    /// The facility that received --transferred units
    #[arg(long, requires = "transferred", add = ArgValueCandidates::new(crate::commands::complete::facility_slugs))]
    pub to: Option<Slug>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct DriveListArgs {
    /// Only drives with this status
    #[arg(long, value_enum)]
    pub status: Option<StatusFilter>,
    #[command(flatten)]
    pub selection: SelectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    Planned,
    Held,
    Closed,
}

#[derive(Debug, Args)]
pub struct DriveSlugArgs {
    /// The drive's slug
    #[arg(add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub slug: Slug,
}

#[derive(Debug, Args)]
pub struct DriveSlugActorArgs {
    /// The drive's slug
    #[arg(add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub slug: Slug,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["ids", "drive"])))]
pub struct TransferArgs {
    /// The facility that receives the units
    #[arg(long, add = ArgValueCandidates::new(crate::commands::complete::facility_slugs))]
    pub to: Slug,
    /// Itemised units, by id (ISBT 128 ids may carry their check character)
    #[arg(value_name = "ID")]
    pub ids: Vec<UnitId>,
    /// The drive whose stock the units leave (with --count, for tallied units)
    #[arg(long, requires = "count", add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub drive: Option<Slug>,
    /// How many units (with --drive)
    #[arg(long, requires = "drive")]
    pub count: Option<Count>,
    /// The day of the transfer [default: today]
    #[arg(long)]
    pub date: Option<DateArg>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["ids", "drive"])))]
pub struct DiscardArgs {
    /// Itemised units, by id (ISBT 128 ids may carry their check character)
    #[arg(value_name = "ID")]
    pub ids: Vec<UnitId>,
    /// The drive whose stock the units leave (with --count, for tallied units)
    #[arg(long, requires = "count", add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub drive: Option<Slug>,
    /// How many units (with --drive)
    #[arg(long, requires = "drive")]
    pub count: Option<Count>,
    /// expired, reactive, damaged, incomplete or other
    #[arg(long)]
    pub reason: DiscardReason,
    /// The day of the discard [default: today]
    #[arg(long)]
    pub date: Option<DateArg>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Only drives of this campaign (a campaign slug)
    #[arg(long, add = ArgValueCandidates::new(crate::commands::complete::campaign_slugs))]
    pub campaign: Option<String>,
    /// Only drives in this province ("son la" matches "Sơn La")
    #[arg(long)]
    pub province: Option<String>,
    /// Only drives in this district
    #[arg(long)]
    pub district: Option<String>,
    /// Only drives on or after this date
    #[arg(long)]
    pub from: Option<DateArg>,
    /// Only drives on or before this date
    #[arg(long)]
    pub to: Option<DateArg>,
}

#[derive(Debug, Args)]
pub struct TotalsArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// One row per year, month, drive, campaign, province, district, group, facility or site
    #[arg(long, value_enum)]
    pub by: Option<ByKey>,
    /// Language of the sentence: en, vi or nb [default: from LANG, else en]
    #[arg(long, value_parser = ["en", "vi", "nb"])]
    pub lang: Option<String>,
    /// Draw the units of each row as a bar (needs --by; scaled to the terminal width)
    #[arg(long, requires = "by")]
    pub chart: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByKey {
    Year,
    Month,
    Drive,
    Campaign,
    Province,
    District,
    Group,
    Facility,
    /// The site whose ledger created each drive
    Site,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only entries that touched this drive
    #[arg(long, add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub drive: Option<Slug>,
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    /// The entry: its number (12 or #12) or its id from `history --json`
    pub entry: String,
    /// Why it is taken back
    #[arg(long)]
    pub reason: Label,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum DonorCommand {
    /// Add a donor to the registry
    #[command(
        after_help = "Example:\n  bloodledger donor add D-0001 --name \"Nguyễn Văn An\" --born 1990-05-20 \\\n      --sex M --group O+ --weight 60 --phone 0912345678"
    )]
    Add(DonorAddArgs),
    /// One donor: personal data, donations, deferrals, next eligible date
    #[command(after_help = "Example:\n  bloodledger donor show D-0001")]
    Show(DonorShowArgs),
    /// Donors with their donation counts (no personal data unless --include-pii)
    #[command(after_help = "Example:\n  bloodledger donor list --min-donations 10")]
    List(DonorListArgs),
    /// Who may be invited to a drive on a date: the recall list
    #[command(after_help = "Example:\n  bloodledger donor eligible --on 2027-07-16 --include-pii --format csv")]
    Eligible(DonorEligibleArgs),
}

#[derive(Debug, Args)]
pub struct DonorAddArgs {
    /// The donor's id in the registry, e.g. a card number
    pub id: DonorId,
    /// Full name
    #[arg(long)]
    pub name: Label,
    /// Birth date, YYYY-MM-DD
    #[arg(long)]
    pub born: DateArg,
    /// M or F
    #[arg(long)]
    pub sex: Sex,
    /// Blood group, if known
    #[arg(long)]
    pub group: Option<BloodGroup>,
    /// Weight in kilograms
    #[arg(long)]
    pub weight: Option<WeightKg>,
    /// Phone number
    #[arg(long)]
    pub phone: Option<Label>,
    /// National id (CCCD)
    #[arg(long)]
    pub national_id: Option<Label>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct DonorShowArgs {
    /// The donor's id
    pub id: DonorId,
    /// Put personal data in JSON and CSV too (the table always shows it)
    #[arg(long)]
    pub include_pii: bool,
}

#[derive(Debug, Args)]
pub struct DonorListArgs {
    /// Only donors with at least this many donations
    #[arg(long, value_name = "N")]
    pub min_donations: Option<Count>,
    /// Add names and phones
    #[arg(long)]
    pub include_pii: bool,
}

#[derive(Debug, Args)]
pub struct DonorEligibleArgs {
    /// The day of the drive to invite them to
    #[arg(long)]
    pub on: DateArg,
    /// Add names and phones (to call them)
    #[arg(long)]
    pub include_pii: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("outcome").required(true).args(["donated", "deferred", "did_not_bleed"])))]
pub struct RegisterArgs {
    /// The drive's slug
    pub drive: Slug,
    /// The donor's id
    #[arg(long)]
    pub donor: DonorId,
    /// They gave (record the bag itself with `unit collect`)
    #[arg(long)]
    pub donated: bool,
    /// Deferred at screening, with the reason
    #[arg(long, value_name = "REASON")]
    pub deferred: Option<Label>,
    /// With --deferred: for good, not only for now
    #[arg(long, requires = "deferred")]
    pub permanent: bool,
    /// Passed screening but no unit was drawn
    #[arg(long)]
    pub did_not_bleed: bool,
    /// A physician's reason to let a donation through that the rules refuse
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<Label>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum UnitCommand {
    /// Record one collected bag
    #[command(
        after_help = "Examples:\n  bloodledger unit collect G123417654321A --drive rj-muongla-2027 --group O+ \\\n      --volume 350 --donor D-0001\n  bloodledger unit collect SL-0042 --drive rj-muongla-2027 \\\n      --group \"A pos\" --volume 450"
    )]
    Collect(UnitCollectArgs),
    /// A unit's whole path: drive, donor id, expiry, where it went
    #[command(after_help = "Example:\n  bloodledger unit show G123417654321A")]
    Show(UnitShowArgs),
}

#[derive(Debug, Args)]
pub struct UnitCollectArgs {
    /// The bag's id: an ISBT 128 id (with or without check character) or a local id
    pub id: Option<UnitId>,
    /// The drive it was collected at
    #[arg(long, add = ArgValueCandidates::new(crate::commands::complete::drive_slugs))]
    pub drive: Option<Slug>,
    /// Blood group (unknown if not yet typed)
    #[arg(long)]
    pub group: Option<BloodGroup>,
    /// Millilitres
    #[arg(long)]
    pub volume: Option<Volume>,
    /// The donor's id; without it the unit is an anonymous donation
    #[arg(long)]
    pub donor: Option<DonorId>,
    /// whole-blood, red-cells, platelets-apheresis or plasma-apheresis
    #[arg(long, default_value = "whole-blood")]
    pub product: Product,
    /// A physician's reason to let a collection through that the rules refuse
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<Label>,
    #[command(flatten)]
    pub actor: ActorArgs,
}

#[derive(Debug, Args)]
pub struct UnitShowArgs {
    /// The unit's id
    pub id: UnitId,
}

#[derive(Debug, Args)]
pub struct StockArgs {
    /// Only units that expire within this many days from today (expired ones too)
    #[arg(long, value_name = "DAYS")]
    pub expiring_within: Option<Count>,
    /// One row per drive or per blood group
    #[arg(long, value_enum)]
    pub by: Option<StockBy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StockBy {
    Drive,
    Group,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    pub shell: clap_complete::Shell,
    /// A fixed script that never calls bloodledger at Tab (no drive slugs)
    #[arg(long = "static")]
    pub fixed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        std::iter::once("bloodledger")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    fn short_way(line: &str) -> Option<String> {
        let mut short = top_level_globals(Cli::command());
        parse_with(&mut short, &args(line)).ok().map(|cli| format!("{cli:?}"))
    }

    fn whole_tree(line: &str) -> Option<String> {
        parse_with(&mut Cli::command(), &args(line))
            .ok()
            .map(|cli| format!("{cli:?}"))
    }

    /// Global options before the subcommand take the short way, and it
    /// answers exactly as the whole tree does.
    #[test]
    fn global_options_at_the_top_parse_as_the_whole_tree_parses_them() {
        for line in [
            "drive log rj-sonla-2021 --date 2021-07-10 --registered 978 --collected 838 --transferred 838 --to nihbt",
            "--db /tmp/l.db --json totals --by year",
            "--format csv --color never -q stock --expiring-within 7",
            "--db=/tmp/l.db --format=json drive show rj-sonla-2021",
            "--quiet unit collect VN-1 --drive d --group O+ --volume 350",
            "void 12 --reason typo",
            "",
        ] {
            let short = short_way(line).unwrap_or_else(|| panic!("the short way refused `{line}`"));
            assert_eq!(Some(short), whole_tree(line), "`{line}`");
        }
    }

    /// Global options after the subcommand (and help) are not the short
    /// way's: they fail there, and the whole tree takes them.
    #[test]
    fn global_options_after_the_subcommand_are_left_to_the_whole_tree() {
        for line in [
            "totals --json",
            "history --drive d --db /tmp/l.db",
            "drive list -q",
            "stock --format csv",
        ] {
            assert_eq!(short_way(line), None, "`{line}`");
            assert!(whole_tree(line).is_some(), "`{line}`");
        }
        for line in [
            "--help",
            "drive log --help",
            "help drive",
            "--version",
            "drive lgo",
            "--json --format csv totals",
        ] {
            assert_eq!(short_way(line), None, "`{line}`");
        }
    }
}
