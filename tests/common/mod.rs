//! A temp ledger and the real binary, with a fixed today.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub const TODAY: &str = "2026-11-25";

pub struct Ledger {
    pub dir: tempfile::TempDir,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    /// A file SQLite keeps beside the ledger: `beside("-wal")`, `beside("-shm")`.
    pub fn beside(&self, suffix: &str) -> PathBuf {
        self.dir.path().join(format!("ledger.db{suffix}"))
    }

    /// The binary, pointed at this ledger, deterministic and colourless.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// [`Ledger::cmd`] as std's `Command`, for a process to start and leave
    /// running while the test does something else.
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bloodledger"));
        // In the temp dir, so that examples writing relative files
        // (`--out nightly.json`) leave the checkout alone.
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("BLOODLEDGER_DB", self.path())
            .env("BLOODLEDGER_TODAY", TODAY)
            .env("USER", "tester")
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("NO_COLOR", "1")
            .env_remove("BLOODLEDGER_BY");
        cmd
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd(args).output().expect("run");
        assert!(
            output.status.success(),
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 stdout")
    }

    /// Runs a command with `--format json` and parses its output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// Runs a command that must be refused with `code`; asserts the ledger is
    /// unchanged and returns stderr.
    pub fn refused(&self, args: &[&str], code: i32) -> String {
        let before = self.dump();
        let output = self.cmd(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(code), "`{}`: {stderr}", args.join(" "));
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(self.dump(), before, "`{}` changed the ledger", args.join(" "));
        stderr
    }

    /// Every row of every table, in order: a logical picture of the ledger
    /// to compare before and after a command.
    pub fn dump(&self) -> String {
        dump(&self.path())
    }

    /// The campaign, the facility and the Sơn La city drive of the README.
    pub fn with_son_la(&self) -> &Ledger {
        self.ok(&[
            "campaign",
            "add",
            "red-journey",
            "--name",
            "Hành trình Đỏ",
            "--started",
            "2013",
        ]);
        self.ok(&[
            "facility",
            "add",
            "nihbt",
            "--name",
            "National Institute of Hematology and Blood Transfusion",
        ]);
        self.ok(&[
            "drive",
            "log",
            "rj-sonla-city-2021",
            "--date",
            "2021-07-10",
            "--campaign",
            "red-journey",
            "--province",
            "Sơn La",
            "--district",
            "Thành phố Sơn La",
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
        ]);
        self
    }
}

/// The eight yearly Red Journey drives of Sơn La: (slug, date, district,
/// registered, collected, deferred). Their units add up to 40 544.
pub const RED_JOURNEY: [(&str, &str, &str, u64, u64, u64); 8] = [
    ("rj-sonla-2017", "2017-07-15", "Thành phố Sơn La", 5600, 5012, 450),
    ("rj-sonla-2018", "2018-07-14", "Mộc Châu", 5900, 5230, 500),
    ("rj-sonla-2019", "2019-07-13", "Mai Sơn", 6100, 5478, 510),
    ("rj-sonla-2020", "2020-07-18", "Yên Châu", 5400, 4890, 400),
    (CITY, "2021-07-10", "Thành phố Sơn La", 978, 838, 140),
    ("rj-sonla-2022", "2022-07-16", "Sông Mã", 6800, 6104, 600),
    ("rj-sonla-2023", "2023-07-15", "Thuận Châu", 7000, 6320, 620),
    ("rj-sonla-2024", "2024-07-13", "Mường La", 7400, 6672, 700),
];

/// The Sơn La city drive of the news report.
pub const CITY: &str = "rj-sonla-city-2021";

/// In the Red Journey ledger: 2024 sends 6 000 units to nihbt on the day,
/// 600 to bv-sonla later and discards 12, so 60 stay in stock; every other
/// drive sends all its units to nihbt.
pub const RJ_2024_TO_BV: u64 = 600;
pub const RJ_2024_DISCARDED: u64 = 12;
pub const RJ_2024_IN_STOCK: u64 = 60;
pub const RJ_2024_VOLUME_ML: u64 = 6672 * 350;

impl Ledger {
    /// The eight Red Journey drives of Sơn La (see [`RED_JOURNEY`]).
    pub fn with_red_journey(&self) -> &Ledger {
        self.with_son_la();
        self.ok(&[
            "facility",
            "add",
            "bv-sonla",
            "--name",
            "Bệnh viện Đa khoa tỉnh Sơn La",
            "--province",
            "Sơn La",
        ]);
        for (slug, date, district, registered, collected, deferred) in RED_JOURNEY {
            if slug == CITY {
                continue;
            }
            let (registered, collected, deferred) =
                (registered.to_string(), collected.to_string(), deferred.to_string());
            let volume = RJ_2024_VOLUME_ML.to_string();
            let mut args = vec![
                "drive",
                "log",
                slug,
                "--date",
                date,
                "--campaign",
                "red-journey",
                "--province",
                "Sơn La",
                "--district",
                district,
                "--registered",
                &registered,
                "--collected",
                &collected,
                "--deferred",
                &deferred,
                "--to",
                "nihbt",
                "--transferred",
            ];
            if slug == "rj-sonla-2024" {
                args.extend(["6000", "--volume-ml", &volume]);
                args.extend(["--group", "O+=3000", "--group", "A pos=1800", "--group", "b+=1500"]);
                args.extend(["--group", "AB+=372"]);
            } else {
                args.push(&collected);
            }
            self.ok(&args);
        }
        self.ok(&[
            "transfer",
            "--drive",
            "rj-sonla-2024",
            "--count",
            "600",
            "--to",
            "bv-sonla",
            "--date",
            "2024-07-20",
        ]);
        self.ok(&[
            "discard",
            "--drive",
            "rj-sonla-2024",
            "--count",
            "12",
            "--reason",
            "reactive",
            "--date",
            "2024-07-14",
        ]);
        self
    }

    /// The next drive, planned in Mường La for 16 July 2027.
    pub fn with_muong_la_plan(&self) -> &Ledger {
        self.ok(&[
            "drive",
            "plan",
            "rj-muongla-2027",
            "--date",
            "2027-07-16",
            "--campaign",
            "red-journey",
            "--province",
            "Sơn La",
            "--district",
            "Mường La",
        ]);
        self
    }

    /// Runs a command whatever its outcome: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.cmd(args).output().expect("run");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    }

    /// The ledger file opened directly, to tamper with it as a test must.
    pub fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path()).expect("open ledger")
    }

    /// The entries of `history --format json`.
    pub fn history(&self) -> Vec<Value> {
        let doc = self.json(&["history"]);
        assert_eq!(doc["schema_version"], 1);
        doc["entries"].as_array().expect("entries").clone()
    }
}

/// Donor D-1's personal data, to look for in output: name, phone,
/// national id, birth date.
pub const D1_PII: [&str; 4] = ["Nguyễn Thị Hoa", "0912345678", "001190012345", "1990-05-20"];

/// The arguments of `donor add` for D-1: group O+, 60 kg, and [`D1_PII`].
pub fn d1_args() -> [&'static str; 17] {
    let [name, phone, national_id, born] = D1_PII;
    [
        "donor",
        "add",
        "D-1",
        "--name",
        name,
        "--born",
        born,
        "--sex",
        "F",
        "--group",
        "O+",
        "--weight",
        "60",
        "--phone",
        phone,
        "--national-id",
        national_id,
    ]
}

/// Donor D-1: born 1990-05-20, 60 kg, with personal data to look for.
pub fn add_donor(ledger: &Ledger) {
    ledger.ok(&d1_args());
}

/// The entry number a write's confirmation ends with ("… — entry #12").
pub fn entry_number(confirmation: &str) -> String {
    let number = confirmation.rsplit('#').next().unwrap_or_default().trim();
    assert!(
        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
        "no entry number in {confirmation:?}"
    );
    number.to_string()
}

pub fn dump(path: &Path) -> String {
    if !path.exists() {
        return String::from("<no ledger>");
    }
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let mut out = String::new();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    out.push_str(&format!("user_version {version}\n"));
    let mut tables = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables");
    let names: Vec<String> = tables
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    for name in names {
        out.push_str(&format!("== {name}\n"));
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).expect("select");
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).expect("rows");
        while let Some(row) = rows.next().expect("row") {
            let cells: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).expect("cell")))
                .collect();
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
    }
    out
}
