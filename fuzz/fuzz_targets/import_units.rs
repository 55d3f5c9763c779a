//! `import units FILE --dry-run` on any bytes, against a small ledger with
//! a held drive, a donor and one unit: every line is parsed, checked against
//! the rules and looked up as in a real import (the transaction is rolled
//! back). It must refuse or accept, never panic.

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
            "unit_id,drive,collected_on,blood_group,volume_ml,product,donor_id\n\
             G123417654321A,rj-a,2026-11-20,O+,350,whole-blood,D-1\n",
        )
        .expect("seed");
        let mut ctx = context(&ledger);
        // A drive, a donor and a unit for lines to meet.
        for command in [
            "drive plan rj-a --date 2026-11-20",
            "donor add D-1 --name Hoa --born 1990-05-20 --sex F --group O+ --weight 60",
        ] {
            let args: Vec<&str> = command.split(' ').collect();
            let cli = <bloodledger_fuzz::cli::Cli as clap::Parser>::parse_from(std::iter::once("bloodledger").chain(args));
            run(&mut ctx, cli.command.expect("command")).expect(command);
        }
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
        kind: ImportKind::Units,
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
