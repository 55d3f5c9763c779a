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

    /// The binary, pointed at this ledger, deterministic and colourless.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("bloodledger").expect("binary");
        cmd.args(args)
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
