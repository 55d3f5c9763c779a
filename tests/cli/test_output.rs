//! What people see: snapshots of the human tables, `--help` with examples,
//! and a quiet exit when the reader of a pipe stops reading.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{CITY, Ledger, TODAY};

#[test]
fn totals_table_and_sentence() {
    let ledger = Ledger::new();
    ledger.with_red_journey().with_muong_la_plan();
    insta::assert_snapshot!(
        "totals_red_journey_son_la",
        ledger.ok(&["totals", "--campaign", "red-journey", "--province", "son la"])
    );
    insta::assert_snapshot!("totals_by_year", ledger.ok(&["totals", "--by", "year"]));
    insta::assert_snapshot!("totals_by_group", ledger.ok(&["totals", "--by", "group"]));
}

#[test]
fn drive_show_tables() {
    let ledger = Ledger::new();
    ledger.with_red_journey().with_muong_la_plan();
    insta::assert_snapshot!("drive_show_city", ledger.ok(&["drive", "show", CITY]));
    insta::assert_snapshot!("drive_show_2024", ledger.ok(&["drive", "show", "rj-sonla-2024"]));
    insta::assert_snapshot!("drive_show_planned", ledger.ok(&["drive", "show", "rj-muongla-2027"]));
    insta::assert_snapshot!("drive_list", ledger.ok(&["drive", "list"]));
}

#[test]
fn every_command_has_help_with_an_example() {
    let ledger = Ledger::new();
    for command in [
        "campaign",
        "campaign add",
        "campaign list",
        "facility",
        "facility add",
        "facility list",
        "drive",
        "drive plan",
        "drive log",
        "drive list",
        "drive show",
        "drive close",
        "drive reopen",
        "transfer",
        "discard",
        "totals",
        "check",
        "history",
        "void",
    ] {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let help = ledger.ok(&args);
        assert!(
            help.contains("Example"),
            "`bloodledger {command} --help` has no example:\n{help}"
        );
        assert!(help.contains("bloodledger "), "{command}");
    }
    assert!(!ledger.path().exists(), "--help creates no ledger");
}

/// `bloodledger history | head -1` on a journal far bigger than a pipe's buffer.
#[test]
fn a_closed_pipe_ends_quietly() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let mut conn = ledger.conn();
    let tx = conn.transaction().expect("transaction");
    for i in 0..3000 {
        tx.execute(
            "INSERT INTO entries (id, site_id, at, actor, action, drive, summary, payload)
             VALUES (?1, 'site', '2026-11-25T00:00:00.000Z', 'tester', 'campaign add', NULL, ?2, '{}')",
            (
                format!("01900000-0000-7000-8000-{i:012}"),
                format!("Added campaign number {i} of many, many more"),
            ),
        )
        .expect("entry");
    }
    tx.commit().expect("commit");
    drop(conn);
    for format in ["table", "json", "csv"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bloodledger"))
            .args(["history", "--format", format])
            .env("BLOODLEDGER_DB", ledger.path())
            .env("BLOODLEDGER_TODAY", TODAY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("first line");
        assert!(!first.is_empty(), "{format}");
        // Dropping the reader closes the pipe, as `head -1` does.
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr, "", "{format}");
        assert_eq!(output.status.code(), Some(0), "{format}");
    }
}
