//! Every write answers with one line saying what it recorded and the entry.

use crate::common::Ledger;

/// Runs each command and returns a transcript: `$ command` then its output.
fn transcript(ledger: &Ledger, commands: &[&[&str]]) -> String {
    let mut text = String::new();
    for args in commands {
        let out = ledger.ok(args);
        assert_eq!(
            out.lines().count(),
            1,
            "`{}` printed more than one line:\n{out}",
            args.join(" ")
        );
        let quoted: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                }
            })
            .collect();
        text.push_str(&format!("$ bloodledger {}\n{out}", quoted.join(" ")));
    }
    text
}

#[test]
fn each_write_command_confirms_in_one_line() {
    let ledger = Ledger::new();
    let text = transcript(
        &ledger,
        &[
            &[
                "campaign",
                "add",
                "red-journey",
                "--name",
                "Hành trình Đỏ",
                "--started",
                "2013",
            ],
            &[
                "facility",
                "add",
                "nihbt",
                "--name",
                "National Institute of Hematology and Blood Transfusion",
            ],
            &[
                "drive",
                "log",
                "rj-sonla-city-2021",
                "--date",
                "2021-07-10",
                "--campaign",
                "red-journey",
                "--province",
                "Sơn La",
                "--registered",
                "978",
                "--collected",
                "838",
                "--deferred",
                "140",
                "--transferred",
                "838",
                "--to",
                "nihbt",
            ],
            &[
                "drive",
                "plan",
                "rj-muongla-2027",
                "--date",
                "2027-07-16",
                "--campaign",
                "Red-Journey",
                "--province",
                "Sơn La",
                "--district",
                "Mường La",
            ],
            &["drive", "plan", "rj-moc-chau-2020", "--date", "2020-05-01"],
            &[
                "drive",
                "log",
                "rj-moc-chau-2020",
                "--registered",
                "12500",
                "--collected",
                "11000",
            ],
            &[
                "transfer",
                "--drive",
                "rj-moc-chau-2020",
                "--count",
                "10000",
                "--to",
                "nihbt",
                "--date",
                "2020-05-02",
            ],
            &[
                "transfer",
                "--drive",
                "rj-moc-chau-2020",
                "--count",
                "1",
                "--to",
                "nihbt",
            ],
            &[
                "discard",
                "--drive",
                "rj-moc-chau-2020",
                "--count",
                "3",
                "--reason",
                "reactive",
                "--date",
                "2020-05-03",
            ],
            &["drive", "close", "rj-moc-chau-2020"],
            &["drive", "reopen", "rj-moc-chau-2020"],
            &["void", "9", "--reason", "typed 3 for 2"],
        ],
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_line_is_the_journal_summary_and_the_entry_number() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let line = ledger.ok(&["drive", "close", "rj-sonla-city-2021"]);
    let history = ledger.json(&["history"]);
    let last = &history["entries"][3];
    assert_eq!(
        line,
        format!("{} — entry #{}\n", last["summary"].as_str().unwrap(), last["number"])
    );
    // The same write as JSON carries the summary and the entry's ids.
    let json = ledger.json(&["drive", "reopen", "rj-sonla-city-2021"]);
    assert_eq!(json["action"], "drive reopen");
    assert_eq!(json["summary"], "Reopened rj-sonla-city-2021");
    assert_eq!(json["entry"]["number"], 5);
    assert!(json["entry"]["id"].as_str().is_some_and(|id| id.len() == 36));
}

#[test]
fn quiet_writes_print_nothing() {
    let ledger = Ledger::new();
    let out = ledger.ok(&["campaign", "add", "red-journey", "--name", "Red Journey", "--quiet"]);
    assert_eq!(out, "");
    assert_eq!(
        ledger.json(&["campaign", "list"])["campaigns"][0]["slug"],
        "red-journey"
    );
}
