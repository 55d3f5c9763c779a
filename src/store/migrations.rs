//! Numbered migrations in `migrations/`, embedded in the binary, applied in
//! one transaction and tracked by `PRAGMA user_version`. A migration is never
//! edited or reordered once it has landed.

use std::path::Path;

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::UserError;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_ledger", include_str!("../../migrations/0001_ledger.sql")),
    ("0002_items", include_str!("../../migrations/0002_items.sql")),
    ("0003_sites", include_str!("../../migrations/0003_sites.sql")),
    ("0004_scale", include_str!("../../migrations/0004_scale.sql")),
    ("0005_totals", include_str!("../../migrations/0005_totals.sql")),
    (
        "0006_compact_units",
        include_str!("../../migrations/0006_compact_units.sql"),
    ),
    (
        "0007_voids_off_entries",
        include_str!("../../migrations/0007_voids_off_entries.sql"),
    ),
    (
        "0008_entry_units",
        include_str!("../../migrations/0008_entry_units.sql"),
    ),
    (
        "0009_upkeep_in_store",
        include_str!("../../migrations/0009_upkeep_in_store.sql"),
    ),
];

pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// The page size of a new ledger (one made before this keeps 4 KiB).
pub const PAGE_BYTES: i64 = 2048;

pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == LATEST_VERSION {
        return Ok(());
    }
    if version > LATEST_VERSION {
        return Err(UserError::new(format!(
            "the ledger {} was written by a newer bloodledger (schema {version}; this one knows up to {LATEST_VERSION}); nothing was changed",
            path.display()
        ))
        .hint("install the newer bloodledger to use this ledger")
        .into());
    }
    if version == 0 {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(UserError::new(format!(
                "{} is an SQLite database but not a bloodledger ledger; nothing was changed",
                path.display()
            ))
            .hint("check --db or BLOODLEDGER_DB")
            .into());
        }
        // Both persistent, set before the first page is written: a WAL
        // ledger's page size cannot change afterwards. A command touches
        // one leaf in each of some twenty b-trees, and each page it touches
        // costs its size in cache memory (fresh pages, each a fault), WAL
        // bytes to checksum, write and sync, and the next process's WAL
        // index rebuild. 2 KiB pages: one `drive log` 0.4 ms faster than
        // with SQLite's 4 KiB, a million-unit import 6 % slower; 1 KiB was
        // 0.15 ms faster still but 16 % slower to import (issue 5).
        conn.pragma_update(None, "page_size", PAGE_BYTES)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    // A migration may rebuild a table others refer to (0006): SQLite's
    // procedure for that is foreign keys off, then a check before commit.
    // The pragma is a no-op inside a transaction, so it is set here.
    conn.pragma_update(None, "foreign_keys", false)?;
    apply(conn, path)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// The missing migrations, in one exclusive transaction.
fn apply(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    // Another process may have migrated while we waited for the lock.
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (_, sql) in MIGRATIONS.iter().skip(version.max(0) as usize) {
        tx.execute_batch(sql)?;
    }
    if version == 0 {
        tx.execute(
            "INSERT INTO ledger_meta (key, value) VALUES ('site_id', ?1), ('created_at', ?2)",
            (
                uuid::Uuid::now_v7().to_string(),
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        )?;
    }
    let broken: Option<String> = tx
        .query_row("SELECT \"table\" FROM pragma_foreign_key_check LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(table) = broken {
        anyhow::bail!(
            "upgrading the ledger {} would leave a broken reference in {table}",
            path.display()
        );
    }
    // 0005 marks every drive stale; summarise them before anyone reads.
    let committed = std::cell::Cell::new(false);
    let txn = super::Txn {
        tx,
        site_id: "",
        committed: &committed,
    };
    txn.summarise_touched_drives()?;
    let tx = txn.tx;
    tx.pragma_update(None, "user_version", LATEST_VERSION)?;
    tx.commit()?;
    Ok(())
}
