//! `drive log` and `drive plan` in a terminal ask for what is missing; with
//! no terminal they never wait. The terminal is a real pseudo-terminal
//! driving the real binary.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

use crate::common::{Ledger, TODAY};

/// How long an expected prompt may take to appear before the test fails:
/// a guard against hanging, not a measure of speed.
const PATIENCE_MS: u64 = 30_000;

/// The binary as `Ledger::cmd` sets it up, as a plain std command.
pub(crate) fn command(ledger: &Ledger, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bloodledger"));
    cmd.args(args)
        .env("BLOODLEDGER_DB", ledger.path())
        .env("BLOODLEDGER_TODAY", TODAY)
        .env("USER", "tester")
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("BLOODLEDGER_BY")
        .env_remove("BLOODLEDGER_COMPLETE");
    cmd
}

fn in_terminal(ledger: &Ledger, args: &[&str]) -> PtySession {
    rexpect::session::spawn_command(command(ledger, args), Some(PATIENCE_MS)).expect("spawn in a pseudo-terminal")
}

/// The summary with runs of spaces as one, so that alignment does not matter.
fn squeezed(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn exit_code(session: &mut PtySession) -> i32 {
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("ended by {other:?}"),
    }
}

/// Reads up to `needle` and returns what came before it. rexpect reads the
/// terminal a byte at a time, one `char` per byte, so the needle is spelled
/// that way and the answer decoded back to UTF-8.
fn expect(session: &mut PtySession, needle: &str) -> String {
    let as_bytes: String = needle.bytes().map(char::from).collect();
    let decode = |text: &str| {
        let bytes: Vec<u8> = text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    match session.exp_string(&as_bytes) {
        Ok(before) => decode(&before),
        Err(e) => panic!("waiting for {needle:?}: {}", decode(&e.to_string())),
    }
}

#[test]
fn drive_log_asks_for_everything_checks_each_answer_and_confirms() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let mut t = in_terminal(&ledger, &["drive", "log"]);

    expect(&mut t, "Drive (its slug, e.g. rj-sonla-2021)");
    t.send_line("muong la").unwrap();
    expect(&mut t, "is not allowed in a slug");
    t.send_line("rj-sonla-city-2021").unwrap();
    expect(&mut t, "drive `rj-sonla-city-2021` already has results (entry #3)");
    t.send_line("rj-muongla-2022").unwrap();
    expect(&mut t, "rj-muongla-2022 is a new drive.");

    // Today is the default; a day after it is refused.
    expect(&mut t, "Date it was held [2026-11-25]");
    t.send_line("2027-07-16").unwrap();
    expect(&mut t, "2027-07-16 is after today (2026-11-25)");
    t.send_line("2022-02-30").unwrap();
    expect(&mut t, "`2022-02-30` is not a day in the calendar");
    t.send_line("2022-07-16").unwrap();

    // The latest drive's campaign and province are the defaults.
    expect(&mut t, "Campaign (- for none) [red-journey]");
    t.send_line("").unwrap();
    expect(&mut t, "Province (- for none) [Sơn La]");
    t.send_line("").unwrap();
    expect(&mut t, "District (Enter for none)");
    t.send_line("Mường La").unwrap();

    expect(&mut t, "Registered (people who came)");
    t.send_line("three hundred").unwrap();
    expect(&mut t, "`three hundred` is not a count");
    t.send_line("310").unwrap();
    expect(&mut t, "Units collected");
    t.send_line("311").unwrap();
    expect(&mut t, "311 collected is more than 310 registered");
    t.send_line("265").unwrap();
    expect(&mut t, "Deferred at screening [45]");
    t.send_line("46").unwrap();
    expect(&mut t, "46 deferred is more than the 45 registered who did not give");
    t.send_line("40").unwrap();
    expect(&mut t, "Units transferred to a facility on the day [265]");
    t.send_line("").unwrap();
    expect(&mut t, "Transferred to (a facility slug) [nihbt]");
    t.send_line("hospital-x").unwrap();
    expect(&mut t, "no facility `hospital-x`; known: nihbt");
    t.send_line("").unwrap();

    expect(&mut t, "About to log rj-muongla-2022:");
    let summary = squeezed(&expect(&mut t, "Record this?"));
    for line in [
        "date 2022-07-16",
        "campaign red-journey",
        "province Sơn La",
        "district Mường La",
        "registered 310",
        "collected 265",
        "deferred 40",
        "transferred 265 to nihbt",
    ] {
        assert!(summary.contains(line), "summary lacks {line:?}:\n{summary}");
    }
    t.send_line("y").unwrap();
    expect(
        &mut t,
        "Logged rj-muongla-2022: 265 units (310 registered, 40 deferred), 265 transferred to nihbt — entry #4",
    );
    t.exp_eof().expect("exits after the confirmation line");
    assert_eq!(exit_code(&mut t), 0);

    let drive = ledger.json(&["drive", "show", "rj-muongla-2022"]);
    assert_eq!(drive["date"], "2022-07-16");
    assert_eq!(drive["campaign"], "red-journey");
    assert_eq!(drive["province"], "Sơn La");
    assert_eq!(drive["district"], "Mường La");
    assert_eq!(drive["registered"], 310);
    assert_eq!(drive["units"], 265);
    assert_eq!(drive["deferred"], 40);
    assert_eq!(drive["transferred"], 265);
}

#[test]
fn drive_log_asks_only_for_what_is_missing() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    ledger.ok(&[
        "drive",
        "plan",
        "rj-muongla-2026",
        "--date",
        "2026-07-16",
        "--province",
        "Sơn La",
    ]);
    let mut t = in_terminal(&ledger, &["drive", "log", "rj-muongla-2026", "--registered", "20"]);
    // A planned drive: no questions about its date or place.
    expect(&mut t, "Logging the results of rj-muongla-2026 (planned, 2026-07-16)");
    let asked = expect(&mut t, "Units collected");
    assert!(!asked.contains("Registered"), "asked again for --registered:\n{asked}");
    t.send_line("12").unwrap();
    expect(&mut t, "Deferred at screening [8]");
    t.send_line("").unwrap();
    expect(&mut t, "Units transferred to a facility on the day [12]");
    t.send_line("0").unwrap();
    let summary = squeezed(&expect(&mut t, "Record this?"));
    assert!(summary.contains("date 2026-07-16"), "{summary}");
    assert!(!summary.contains("to nihbt"), "{summary}");
    t.send_line("y").unwrap();
    expect(
        &mut t,
        "Logged rj-muongla-2026: 12 units (20 registered, 8 deferred) — entry #5",
    );
    t.exp_eof().unwrap();
    assert_eq!(exit_code(&mut t), 0);
}

#[test]
fn declining_the_confirmation_records_nothing() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let before = ledger.dump();
    let mut t = in_terminal(&ledger, &["drive", "plan", "rj-muongla-2027"]);
    expect(&mut t, "Date of the drive [2026-11-25]");
    t.send_line("16/07/2027").unwrap();
    expect(&mut t, "`16/07/2027` is not a date; write YYYY-MM-DD");
    t.send_line("2027-07-16").unwrap();
    expect(&mut t, "Campaign (- for none) [red-journey]");
    t.send_line("-").unwrap();
    expect(&mut t, "Province (- for none) [Sơn La]");
    t.send_line("-").unwrap();
    expect(&mut t, "District (Enter for none)");
    t.send_line("").unwrap();
    let summary = squeezed(&expect(&mut t, "Record this?"));
    assert!(summary.contains("About to plan rj-muongla-2027:"), "{summary}");
    assert!(summary.contains("date 2027-07-16"), "{summary}");
    assert!(
        !summary.contains("campaign red-journey"),
        "`-` should leave the campaign out:\n{summary}"
    );
    t.send_line("n").unwrap();
    expect(&mut t, "error: not confirmed; nothing was recorded");
    t.exp_eof().unwrap();
    assert_eq!(exit_code(&mut t), 1);
    assert_eq!(ledger.dump(), before);
}

#[test]
fn a_planned_drive_is_recorded_after_confirmation() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let mut t = in_terminal(&ledger, &["drive", "plan", "--district", "Mường La", "--target", "300"]);
    expect(&mut t, "Drive (a new slug, e.g. rj-muongla-2027)");
    t.send_line("RJ-SONLA-CITY-2021").unwrap();
    expect(&mut t, "drive `rj-sonla-city-2021` already exists (held, 2021-07-10)");
    t.send_line("rj-muongla-2027").unwrap();
    expect(&mut t, "Date of the drive [2026-11-25]");
    t.send_line("2027-07-16").unwrap();
    expect(&mut t, "Campaign (- for none) [red-journey]");
    t.send_line("").unwrap();
    expect(&mut t, "Province (- for none) [Sơn La]");
    t.send_line("").unwrap();
    let summary = squeezed(&expect(&mut t, "Record this?"));
    assert!(
        !summary.contains("District (Enter"),
        "asked for a given --district:\n{summary}"
    );
    assert!(summary.contains("target 300"), "{summary}");
    t.send_line("").unwrap(); // Enter takes the default: yes
    expect(
        &mut t,
        "Planned rj-muongla-2027 (red-journey) for 2027-07-16 in Mường La, Sơn La — entry #4",
    );
    t.exp_eof().unwrap();
    assert_eq!(exit_code(&mut t), 0);
    let drive = ledger.json(&["drive", "show", "rj-muongla-2027"]);
    assert_eq!(drive["status"], "planned");
    assert_eq!(drive["campaign"], "red-journey");
    assert_eq!(drive["district"], "Mường La");
    assert_eq!(drive["target"], 300);
}

#[test]
fn in_a_terminal_a_complete_command_asks_nothing() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let mut t = in_terminal(
        &ledger,
        &[
            "drive",
            "log",
            "x-2022",
            "--date",
            "2022-01-05",
            "--registered",
            "10",
            "--collected",
            "7",
        ],
    );
    let said = expect(&mut t, "Logged x-2022: 7 units (10 registered, 0 deferred) — entry #4");
    assert!(!said.contains("Record this?"), "{said}");
    t.exp_eof().unwrap();
    assert_eq!(exit_code(&mut t), 0);
}

/// With no terminal, `drive log` never reads its input: it fails at once,
/// naming every missing value, even while stdin stays open.
#[test]
fn without_a_terminal_nothing_waits() {
    let ledger = Ledger::new();
    for (args, names) in [
        (
            &["drive", "log"][..],
            "drive log needs SLUG, --registered and --collected",
        ),
        (
            &["drive", "log", "rj-x", "--registered", "5"][..],
            "drive log needs --collected",
        ),
        (&["drive", "plan"][..], "drive plan needs SLUG and --date"),
    ] {
        let mut child = command(&ledger, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Keep stdin open: a program that read it would block here forever.
        let stdin = child.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("`{}` waited for input with no terminal", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        let output = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(names), "{stderr}");
        assert!(stderr.contains("hint: e.g. `bloodledger drive"), "{stderr}");
    }
    assert_eq!(ledger.dump(), "<no ledger>");
}

/// A long import shows a progress bar on the terminal's stderr, and
/// nothing of it reaches a pipe.
#[test]
fn an_import_shows_progress_on_a_terminal_only() {
    let ledger = Ledger::new();
    let mut csv = String::from("slug,date\n");
    for d in 0..20_000 {
        csv.push_str(&format!("d{d:05},2026-01-01\n"));
    }
    let file = ledger.dir.path().join("many.csv");
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();

    let mut session = in_terminal(&ledger, &["import", "drives", path, "--dry-run"]);
    expect(&mut session, "importing drives");
    expect(&mut session, "20 000 new");
    assert_eq!(exit_code(&mut session), 0);

    let piped = command(&ledger, &["import", "drives", path, "--dry-run"])
        .output()
        .unwrap();
    assert!(piped.status.success());
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("importing"), "a bar on a pipe: {stderr}");
}

#[test]
fn unit_collect_asks_for_the_bag_checks_each_answer_and_confirms() {
    let ledger = Ledger::new();
    ledger.ok(&["drive", "plan", "rj-muongla-2026", "--date", "2026-11-20"]);
    let mut t = in_terminal(&ledger, &["unit", "collect"]);

    expect(&mut t, "Unit id (from the bag's label)");
    t.send_line("G123417654321B").unwrap();
    expect(&mut t, "check character");
    t.send_line("G123417654321A").unwrap();
    // The latest open drive is the default.
    expect(&mut t, "Drive [rj-muongla-2026]");
    t.send_line("").unwrap();
    expect(&mut t, "Blood group");
    t.send_line("C+").unwrap();
    expect(&mut t, "`C+` is not a blood group");
    t.send_line("o pos").unwrap();
    expect(&mut t, "Volume in ml [350]");
    t.send_line("").unwrap();
    expect(&mut t, "About to record the bag:");
    expect(&mut t, "Record this?");
    t.send_line("y").unwrap();
    expect(
        &mut t,
        "Collected unit G123417654321 (O+, 350 ml whole-blood) at rj-muongla-2026",
    );
    assert_eq!(exit_code(&mut t), 0);
    assert_eq!(ledger.json(&["drive", "show", "rj-muongla-2026"])["units"], 1);

    // Without a terminal nothing waits: a usage error naming what is missing.
    let stderr = ledger.refused(&["unit", "collect", "SL-1"], 2);
    assert!(
        stderr.contains("unit collect needs --drive, --group and --volume"),
        "{stderr}"
    );
}
