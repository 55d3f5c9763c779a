//! `check`: silent on a consistent ledger, precise on an inconsistent one.

use rusqlite::params;

use crate::common::Ledger;

/// Records `units` more transferred from `slug` to facility 1, behind
/// bloodledger's back: an entry and its transfer row, as an old version or a
/// hand edit might leave them.
fn smuggle_transfer(ledger: &Ledger, slug: &str, units: i64, date: &str) {
    let conn = ledger.conn();
    let (drive, drive_uuid): (i64, String) = conn
        .query_row("SELECT id, uuid FROM drives WHERE slug = ?1", [slug], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("drive");
    conn.execute(
        "INSERT INTO entries (id, site_id, at, actor, action, drive, summary, payload)
         VALUES ('01900000-0000-7000-8000-00000000beef', 'hand-edit', '2026-11-25T00:00:00.000Z', 'mallory',
                 'transfer', ?1, 'smuggled', '{}')",
        params![drive_uuid],
    )
    .expect("entry");
    let entry = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO transfers (uuid, drive, entry, facility, date, units)
         VALUES ('01900000-0000-7000-8000-00000000cafe', ?1, ?2, 1, ?3, ?4)",
        params![drive, entry, date, units],
    )
    .expect("transfer");
}

#[test]
fn silent_with_exit_0_on_a_consistent_ledger() {
    let ledger = Ledger::new();
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""), "an empty ledger");
    ledger.with_red_journey().with_muong_la_plan();
    ledger.ok(&["drive", "close", "rj-sonla-2017"]);
    for format in ["table", "json", "csv"] {
        let (code, stdout, stderr) = ledger.run(&["check", "--format", format]);
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""), "{format}");
    }
}

#[test]
fn a_negative_stock_is_named_with_its_figures_and_the_command_to_investigate() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    smuggle_transfer(&ledger, "rj-sonla-2024", 500, "2024-07-21");
    let before = ledger.dump();
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    for needle in [
        "rj-sonla-2024",
        "7100 transferred",
        "12 discarded",
        "6672 units collected",
        "stock -440",
        "bloodledger drive show rj-sonla-2024",
        "bloodledger history --drive rj-sonla-2024",
    ] {
        assert!(stdout.contains(needle), "`{needle}` missing from: {stdout}");
    }
    assert!(!stdout.contains("rj-sonla-2023"), "only the broken drive: {stdout}");
    assert!(stderr.contains("check found 1 problem"), "{stderr}");
    assert!(!stderr.contains("problems"), "singular: {stderr}");
    assert_eq!(ledger.dump(), before, "check changes nothing");

    let (code, stdout, _) = ledger.run(&["check", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["problems"][0]["drive"], "rj-sonla-2024");

    // The reports do not show a negative stock, and refuse to move more.
    assert_eq!(ledger.json(&["drive", "show", "rj-sonla-2024"])["in_stock"], 0);
    let stderr = ledger.refused(
        &["transfer", "--drive", "rj-sonla-2024", "--count", "1", "--to", "nihbt"],
        1,
    );
    assert!(stderr.contains("rj-sonla-2024"), "{stderr}");
}

#[test]
fn several_problems_are_all_reported() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    smuggle_transfer(&ledger, "rj-sonla-2018", 1, "2018-01-01");
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    // 2018 is now both over-transferred and has a transfer before its day.
    assert!(stdout.contains("stock -1"), "{stdout}");
    assert!(
        stdout.contains("dated 2018-01-01, before the drive on 2018-07-14"),
        "{stdout}"
    );
    assert!(stderr.contains("check found 2 problems"), "{stderr}");
}
