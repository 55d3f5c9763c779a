//! `import drives FILE --dry-run` on any bytes, against a small ledger with
//! a campaign and a drive: every line is parsed, checked and looked up as in
//! a real import (the transaction is rolled back). It must refuse or
//! accept, never panic.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use bloodledger_fuzz::cli::{ActorArgs, Command, Format, ImportArgs, ImportKind};
use bloodledger_fuzz::commands::{Context, run};
use bloodledger_fuzz::output::Out;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    _dir: tempfile::TempDir,
    ledger: PathBuf,
    input: PathBuf,
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

fn context(ledger: &PathBuf) -> Context {
    Context::new(ledger.clone(), today(), Out::stdout(Format::Table, true), false)
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = dir.path().join("ledger.db");
        let input = dir.path().join("input.csv");
        std::fs::write(
            &input,
            "slug,name,date,campaign,province,registered,deferred,collected\n\
             rj-sonla-2021,Sơn La,2021-07-10,red-journey,Sơn La,978,140,838\n",
        )
        .expect("seed");
        let mut ctx = context(&ledger);
        // A campaign to find, and a drive for lines to agree or disagree with.
        let campaign = "campaign add red-journey --name Red";
        let args: Vec<&str> = campaign.split(' ').collect();
        let cli = <bloodledger_fuzz::cli::Cli as clap::Parser>::parse_from(
            std::iter::once("bloodledger").chain(args).chain(["--quiet"]),
        );
        run(&mut ctx, cli.command.expect("command")).expect("campaign");
        run(&mut ctx, import(&input, false)).expect("seed import");
        Fixture {
            _dir: dir,
            ledger,
            input,
        }
    })
}

fn import(file: &PathBuf, dry_run: bool) -> Command {
    Command::Import(ImportArgs {
        kind: ImportKind::Drives,
        file: file.clone(),
        dry_run,
        actor: ActorArgs { by: None },
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    std::fs::write(&f.input, data).expect("write input");
    let mut ctx = context(&f.ledger);
    let _ = run(&mut ctx, import(&f.input, true));
});
