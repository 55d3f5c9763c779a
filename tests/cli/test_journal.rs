//! The journal: one entry per write, `void` and `history`.

use serde_json::Value;

use crate::common::{CITY, Ledger, RED_JOURNEY};

/// The number of the live entry of `action` on `drive`.
fn entry_of(ledger: &Ledger, action: &str, drive: &str) -> i64 {
    ledger
        .history()
        .iter()
        .find(|e| e["action"] == action && e["drive"] == drive && e["voided_by"].is_null())
        .and_then(|e| e["number"].as_i64())
        .unwrap_or_else(|| panic!("no {action} of {drive}"))
}

fn entry(history: &[Value], number: i64) -> &Value {
    history
        .iter()
        .find(|e| e["number"] == number)
        .unwrap_or_else(|| panic!("no entry #{number}"))
}

fn units_of_2023() -> u64 {
    RED_JOURNEY
        .iter()
        .find(|d| d.0 == "rj-sonla-2023")
        .map(|d| d.4)
        .expect("2023")
}

#[test]
fn voiding_a_log_removes_its_figures_from_every_report() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let before = ledger.json(&["totals"]);
    let by_facility = ledger.json(&["totals", "--by", "facility"]);
    let log = entry_of(&ledger, "drive log", "rj-sonla-2023");
    let out = ledger.ok(&["void", &log.to_string(), "--reason", "typed the wrong year"]);
    assert!(out.contains(&format!("Voided #{log}")), "{out}");

    let after = ledger.json(&["totals"]);
    let units = units_of_2023();
    assert_eq!(after["units"].as_u64(), before["units"].as_u64().map(|u| u - units));
    assert_eq!(
        after["transferred"].as_u64(),
        before["transferred"].as_u64().map(|u| u - units)
    );
    assert_eq!(after["drives"], 7);
    assert_eq!(after["years"], 7);
    assert_eq!(after["summary"], "34 224 units over seven years");
    let table = ledger.ok(&["totals"]);
    assert!(table.ends_with("34 224 units over seven years\n"), "{table}");

    let rows = ledger.json(&["totals", "--by", "year"]);
    assert!(
        !rows["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["key"] == "2023"),
        "{rows}"
    );
    let nihbt = |doc: &Value| {
        doc["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["key"] == "nihbt"))
            .and_then(|r| r["transferred"].as_u64())
            .expect("nihbt row")
    };
    assert_eq!(
        nihbt(&ledger.json(&["totals", "--by", "facility"])),
        nihbt(&by_facility) - units
    );

    let list = ledger.json(&["drive", "list"]);
    assert!(
        !list["drives"]
            .as_array()
            .expect("drives")
            .iter()
            .any(|d| d["slug"] == "rj-sonla-2023")
    );
    assert!(!ledger.ok(&["drive", "list"]).contains("rj-sonla-2023"));
    let stderr = ledger.refused(&["drive", "show", "rj-sonla-2023"], 1);
    assert!(stderr.contains("no drive `rj-sonla-2023`"), "{stderr}");

    // The journal keeps both, and says which voided which.
    let history = ledger.history();
    let void = history.last().expect("the void");
    assert_eq!(void["action"], "void");
    assert_eq!(entry(&history, log)["voided_by"], void["number"]);
    assert_eq!(entry(&history, log)["action"], "drive log");
    let table = ledger.ok(&["history"]);
    assert!(table.contains(&format!("by #{}", void["number"])), "{table}");
    assert!(table.contains("typed the wrong year"), "{table}");
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));

    // The slug is free again: the drive can be logged anew.
    ledger.ok(&[
        "drive",
        "log",
        "rj-sonla-2023",
        "--date",
        "2023-07-15",
        "--registered",
        "7000",
        "--collected",
        "6320",
    ]);
    assert_eq!(ledger.json(&["totals"])["units"], before["units"]);
}

#[test]
fn voiding_the_log_of_a_planned_drive_by_its_id_restores_the_plan() {
    let ledger = Ledger::new();
    ledger.with_red_journey().with_muong_la_plan();
    ledger.ok(&[
        "drive",
        "log",
        "rj-muongla-2027",
        "--date",
        "2026-07-16",
        "--registered",
        "310",
        "--collected",
        "265",
        "--transferred",
        "265",
        "--to",
        "bv-sonla",
    ]);
    assert_eq!(ledger.json(&["totals", "--district", "muong la"])["units"], 6672 + 265);
    let history = ledger.history();
    let log = history.last().expect("the log");
    let id = log["id"].as_str().expect("id");
    ledger.ok(&["void", id, "--reason", "entered in the wrong ledger"]);

    let drive = ledger.json(&["drive", "show", "rj-muongla-2027"]);
    assert_eq!(drive["status"], "planned");
    assert_eq!(drive["date"], "2027-07-16", "the plan's date is back");
    assert_eq!(drive["units"], 0);
    assert_eq!(drive["registered"], 0);
    assert_eq!(drive["transferred"], 0);
    assert_eq!(drive["transfers"].as_array().map(Vec::len), Some(0));
    let table = ledger.ok(&["drive", "show", "rj-muongla-2027"]);
    assert!(table.contains("Planned: no results yet"), "{table}");
    assert_eq!(ledger.json(&["totals", "--district", "muong la"])["units"], 6672);
    let list = ledger.json(&["drive", "list", "--status", "planned"]);
    assert_eq!(list["drives"][0]["slug"], "rj-muongla-2027");
    let facility = ledger.json(&["totals", "--by", "facility"]);
    let bv = facility["rows"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["key"] == "bv-sonla"))
        .expect("bv");
    assert_eq!(bv["transferred"], 600);

    let history = ledger.history();
    assert_eq!(
        history.len() as u64,
        log["number"].as_u64().expect("n") + 1,
        "both entries stay"
    );
    assert_eq!(
        entry(&history, log["number"].as_i64().expect("n"))["voided_by"],
        history.last().expect("void")["number"]
    );
    // The id names the same entry as its number does.
    let stderr = ledger.refused(&["void", id, "--reason", "again"], 1);
    assert!(stderr.contains("already voided"), "{stderr}");
}

#[test]
fn void_refusals() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    ledger.ok(&["drive", "plan", "rj-2022", "--date", "2022-07-01"]);
    ledger.ok(&["drive", "log", "rj-2022", "--registered", "100", "--collected", "90"]);
    let log = entry_of(&ledger, "drive log", "rj-2022");
    ledger.ok(&[
        "transfer",
        "--drive",
        "rj-2022",
        "--count",
        "40",
        "--to",
        "nihbt",
        "--date",
        "2022-07-02",
    ]);
    let transfer = entry_of(&ledger, "transfer", "rj-2022");

    // A later transfer depends on the log: its stock would go negative.
    let stderr = ledger.refused(&["void", &log.to_string(), "--reason", "x"], 1);
    for needle in [format!("entry #{log}"), "stock -40".into(), format!("#{transfer}")] {
        assert!(stderr.contains(&needle), "{needle}: {stderr}");
    }
    // The city drive was created by its log; a later discard would be orphaned.
    ledger.ok(&["drive", "close", CITY]);
    let city_log = entry_of(&ledger, "drive log", CITY);
    let stderr = ledger.refused(&["void", &city_log.to_string(), "--reason", "x"], 1);
    assert!(stderr.contains("later entries"), "{stderr}");

    // Voiding a void, and voiding twice.
    let void = {
        ledger.ok(&["void", &format!("#{transfer}"), "--reason", "counted twice"]);
        entry_of(&ledger, "void", "rj-2022")
    };
    let stderr = ledger.refused(&["void", &void.to_string(), "--reason", "x"], 1);
    assert!(stderr.contains(&format!("entry #{void} is itself a void")), "{stderr}");
    let stderr = ledger.refused(&["void", &transfer.to_string(), "--reason", "x"], 1);
    assert!(
        stderr.contains(&format!("entry #{transfer} was already voided by entry #{void}")),
        "{stderr}"
    );

    // A campaign or facility that records still use.
    let stderr = ledger.refused(&["void", "1", "--reason", "x"], 1);
    assert!(
        stderr.contains("entry #1") && stderr.contains("still used by"),
        "{stderr}"
    );
    let stderr = ledger.refused(&["void", "2", "--reason", "x"], 1);
    assert!(
        stderr.contains("entry #2") && stderr.contains("still used by"),
        "{stderr}"
    );

    // Entries that do not exist.
    let stderr = ledger.refused(&["void", "999", "--reason", "x"], 1);
    assert!(stderr.contains("no entry `999`"), "{stderr}");
    let stderr = ledger.refused(&["void", "01900000-0000-7000-8000-000000000000", "--reason", "x"], 1);
    assert!(
        stderr.contains("no entry `01900000-0000-7000-8000-000000000000`"),
        "{stderr}"
    );
    ledger.refused(&["void", &log.to_string()], 2);

    // With the transfer voided, the log can go, and then nothing is left.
    ledger.ok(&["void", &log.to_string(), "--reason", "wrong drive"]);
    assert_eq!(ledger.json(&["drive", "show", "rj-2022"])["status"], "planned");
    let (code, stdout, _) = ledger.run(&["check"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn a_campaign_voided_while_unused_can_be_added_again() {
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journy", "--name", "typo"]);
    ledger.ok(&["void", "1", "--reason", "typo in the slug"]);
    let list = ledger.json(&["campaign", "list"]);
    assert_eq!(list["campaigns"].as_array().map(Vec::len), Some(0));
    ledger.ok(&["campaign", "add", "red-journy", "--name", "again"]);
}

#[test]
fn every_write_appends_exactly_one_entry() {
    let ledger = Ledger::new();
    let count = || -> i64 {
        ledger
            .conn()
            .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
            .expect("count")
    };
    let writes: [&[&str]; 10] = [
        &["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"],
        &["facility", "add", "nihbt", "--name", "NIHBT"],
        &[
            "drive",
            "plan",
            "rj-2022",
            "--date",
            "2022-07-01",
            "--campaign",
            "red-journey",
        ],
        &[
            "drive",
            "log",
            "rj-2022",
            "--registered",
            "10",
            "--collected",
            "8",
            "--transferred",
            "2",
            "--to",
            "nihbt",
        ],
        &["transfer", "--drive", "rj-2022", "--count", "2", "--to", "nihbt"],
        &["discard", "--drive", "rj-2022", "--count", "1", "--reason", "expired"],
        &["drive", "close", "rj-2022"],
        &["drive", "reopen", "rj-2022"],
        &["void", "8", "--reason", "not reopened after all"],
        &[
            "drive",
            "log",
            "new-2023",
            "--date",
            "2023-01-01",
            "--registered",
            "1",
            "--collected",
            "1",
        ],
    ];
    for (i, args) in writes.iter().enumerate() {
        ledger.ok(args);
        assert_eq!(count(), i as i64 + 1, "{args:?}");
    }
}

#[test]
fn history_json_has_the_documented_shape() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    ledger.ok(&["drive", "close", CITY, "--by", "Lò Thị Mai"]);
    let doc = ledger.json(&["history"]);
    assert_eq!(doc["schema_version"], 1);
    let entries = doc["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 4);
    let mut ids = std::collections::BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        for key in ["id", "number", "at", "actor", "action", "drive", "summary", "voided_by"] {
            assert!(e.get(key).is_some(), "{key} missing from {e}");
        }
        assert_eq!(e["number"], i as u64 + 1);
        let id = e["id"].as_str().expect("id");
        assert!(uuid_v7(id), "not a UUIDv7: {id}");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        let at = e["at"].as_str().expect("at");
        assert!(at.ends_with('Z') && chrono_like(at), "not RFC 3339 UTC: {at}");
    }
    assert_eq!(entries[0]["action"], "campaign add");
    assert!(entries[0]["drive"].is_null());
    assert_eq!(entries[2]["action"], "drive log");
    assert_eq!(entries[2]["drive"], CITY);
    assert_eq!(entries[2]["actor"], "tester");
    assert_eq!(entries[3]["actor"], "Lò Thị Mai");

    // `--drive` matches the slug as typed in another case.
    let only = ledger.json(&["history", "--drive", "RJ-SonLa-City-2021"]);
    assert_eq!(only["entries"].as_array().map(Vec::len), Some(2));
    let stderr = ledger.refused(&["history", "--drive", "rj-sonla-cty-2021"], 1);
    assert!(stderr.contains("did you mean `rj-sonla-city-2021`?"), "{stderr}");
}

/// `xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`, lower-case hex.
fn uuid_v7(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && id
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && parts[2].starts_with('7')
}

/// `2026-11-25T18:35:53.778Z`.
fn chrono_like(at: &str) -> bool {
    at.len() == 24 && at.as_bytes()[10] == b'T' && at[..10].bytes().filter(|b| *b == b'-').count() == 2
}
