//! Storage: the only place with SQL.
//!
//! A ledger is one SQLite file. Each command opens it, runs one transaction
//! and exits, so the cost of a write command is dominated by disk syncs. We
//! use WAL with `synchronous=FULL` (a commit is one fsync of the WAL and is
//! durable) and leave checkpoints to SQLite's auto-checkpoint, which runs
//! when the WAL passes ~4 MiB, instead of on every close: that saves the
//! checkpoint's syncs of the main file on every command.

mod catalog;
mod drives;
mod items;
mod journal;
mod migrations;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

pub use catalog::{Campaign, Facility};
pub use drives::DriveRef;
pub use items::{DonorEvent, DonorRecord, NewDonor, NewRegistration, NewUnit};
pub use journal::{EntryRef, HistoryEntry, NewEntry, StoredEntry};

use crate::error::UserError;

/// How long a writer waits for another to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

pub struct Store {
    conn: Connection,
    site_id: String,
    access: Access,
}

impl Store {
    /// Opens the ledger at `path`. A write creates it (mode 0600, with a new
    /// site id); a read of a ledger that does not exist yet sees an empty one
    /// and creates no file.
    pub fn open(path: &Path, access: Access) -> Result<Store> {
        let conn = if path.exists() {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .or_else(|_| {
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            })
            .with_context(|| format!("cannot open the ledger {}", path.display()))?
        } else if access == Access::Read {
            Connection::open_in_memory()?
        } else {
            create_private_file(path)?;
            Connection::open(path).with_context(|| format!("cannot open the ledger {}", path.display()))?
        };
        let mut store = Store {
            conn,
            site_id: String::new(),
            access,
        };
        store.prepare(path).map_err(|e| describe_open_error(e, path))?;
        Ok(store)
    }

    fn prepare(&mut self, path: &Path) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "foreign_keys", true)?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        migrations::migrate(&mut self.conn, path)?;
        self.site_id = self
            .conn
            .query_row("SELECT value FROM ledger_meta WHERE key = 'site_id'", [], |r| r.get(0))?;
        Ok(())
    }

    /// One transaction: IMMEDIATE for writers, so two writers queue on the
    /// busy timeout instead of failing half-way; a snapshot for readers.
    pub fn begin(&mut self) -> Result<Txn<'_>> {
        let behavior = match self.access {
            Access::Write => TransactionBehavior::Immediate,
            Access::Read => TransactionBehavior::Deferred,
        };
        Ok(Txn {
            tx: self.conn.transaction_with_behavior(behavior)?,
            site_id: &self.site_id,
        })
    }
}

pub struct Txn<'a> {
    tx: rusqlite::Transaction<'a>,
    site_id: &'a str,
}

impl Txn<'_> {
    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

/// The SQL condition that a record's journal entry has not been voided.
fn live(alias: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM entries x WHERE x.voids = {alias}.entry)")
}

fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {} for the ledger", dir.display()))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the ledger {}", path.display()))?;
    Ok(())
}

fn describe_open_error(error: anyhow::Error, path: &Path) -> anyhow::Error {
    let code = error
        .downcast_ref::<rusqlite::Error>()
        .and_then(|e| e.sqlite_error_code());
    match code {
        Some(ErrorCode::NotADatabase) => UserError::new(format!(
            "{} is not a bloodledger ledger (it is not an SQLite database); nothing was changed",
            path.display()
        ))
        .hint("check --db or BLOODLEDGER_DB")
        .into(),
        Some(ErrorCode::DatabaseCorrupt) => UserError::new(format!(
            "the ledger {} is damaged (SQLite reports corruption); nothing was changed",
            path.display()
        ))
        .hint("restore it from a backup (`bloodledger backup` makes one)")
        .into(),
        _ => error,
    }
}

/// The platform data directory's ledger: `…/bloodledger/ledger.db`.
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("bloodledger").join("ledger.db"))
}
