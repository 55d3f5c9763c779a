//! Storage: the only place with SQL.
//!
//! A ledger is one SQLite file. Each command opens it, runs one transaction
//! and exits, so the cost of a write command is dominated by disk syncs. We
//! use WAL with `synchronous=FULL`: a commit is one fsync of the WAL and is
//! durable. We do not checkpoint on every close (that costs the main file's
//! syncs on every command); instead, when a writer finishes and the WAL has
//! passed [`WAL_CHECKPOINT_FRAMES`], it checkpoints and empties the WAL
//! (keeping its blocks, see [`vfs`]).
//!
//! SQLite's own auto-checkpoint is off: each process that opens the ledger
//! first rebuilds the WAL index by reading the whole WAL and forgets what was
//! already checkpointed, so with short-lived processes the WAL would only
//! grow and every commit would copy all of it again.
//!
//! Writers open the ledger through [`vfs`], which syncs the directory once
//! per WAL file rather than once per process: one fsync per command.

/// The units entry `?1` wrote, as a table (`FROM units_of_entry!() AS u`):
/// the rows in its range of row ids (schema 8), for units have no index by
/// entry. A literal, for `concat!`.
macro_rules! units_of_entry {
    () => {
        "(SELECT * FROM units
          WHERE id BETWEEN (SELECT first_id FROM entry_units WHERE entry = ?1)
                       AND (SELECT last_id FROM entry_units WHERE entry = ?1)
            AND entry = ?1)"
    };
}

/// The drives whose figures the records of entry `?1` count in, as a table
/// of one column, `drive`: its versions, tallies, movements, registrations
/// and units. What a void of the entry sends to be summarised again, and
/// (with the drives it made and the statuses it set) the drives it touched.
macro_rules! drives_counted_by_entry {
    () => {
        concat!(
            "(SELECT drive FROM drive_versions WHERE entry = ?1
              UNION SELECT drive FROM tallies WHERE entry = ?1
              UNION SELECT drive FROM transfers WHERE entry = ?1
              UNION SELECT drive FROM discards WHERE entry = ?1
              UNION SELECT drive FROM registrations WHERE entry = ?1
              UNION SELECT drive FROM ",
            units_of_entry!(),
            ")"
        )
    };
}

mod backup;
mod catalog;
mod drives;
mod export;
mod items;
mod journal;
mod merge;
mod migrations;
mod summaries;
mod unit_insert;
mod upkeep;
mod vfs;

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::config::DbConfig;
use rusqlite::hooks::Wal;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, ffi};

pub use catalog::{Campaign, Facility};
pub use drives::DriveRef;
pub use export::{Cell, ExportTable};
pub use items::{BulkUnits, DonorEvent, DonorRecord, NewDonor, NewRegistration, NewUnit};
pub use journal::{EntryRef, HistoryEntry, NewEntry, StoredEntry};
pub use merge::{Placed, Since, SiteRow};
pub use unit_insert::MANY as UNITS_PER_INSERT;

use crate::error::UserError;

/// How long a writer waits for another to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A writer that leaves more frames than this in the WAL (512 KiB of a new
/// ledger's 2 KiB pages, 1 MiB of an older one's 4 KiB) checkpoints it: few
/// enough that the next process reads them in well under a millisecond,
/// enough that most commands (some 22 frames each) pay one fsync.
pub const WAL_CHECKPOINT_FRAMES: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    /// A command's few rows, written in milliseconds: the ledger is taken
    /// alone when no other process has it open (see [`connect`]).
    Write,
    /// Imports, merges and voids (a void of an import takes back every
    /// unit of it), which may write for minutes: always shared, so that
    /// reports and backups go on alongside them.
    BulkWrite,
}

impl Access {
    pub fn writes(self) -> bool {
        self != Access::Read
    }
}

pub struct Store {
    conn: Connection,
    site_id: String,
    access: Access,
    /// Frames in the WAL after this connection's last commit (SQLite's WAL hook).
    wal_frames: Arc<AtomicU32>,
    /// A file this process created: removed again unless a transaction
    /// commits, so a refused first write leaves no empty ledger behind.
    created: Option<PathBuf>,
    committed: std::cell::Cell<bool>,
}

impl Store {
    /// Opens the ledger at `path`. A write creates it (mode 0600, with a new
    /// site id); a read of a ledger that does not exist yet sees an empty one
    /// and creates no file.
    pub fn open(path: &Path, access: Access) -> Result<Store> {
        let existed = path.exists();
        let conn = if existed {
            // SQLite would take an empty file for a new database and turn it
            // into a ledger (world-readable, since we did not create it).
            if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
                return Err(UserError::new(format!(
                    "{} is an empty file, not a bloodledger ledger; nothing was changed",
                    path.display()
                ))
                .hint("check --db or BLOODLEDGER_DB; to start a new ledger, give a path that does not exist yet")
                .into());
            }
            connect(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                access,
            )
            .or_else(|_| {
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            })
            .with_context(|| format!("cannot open the ledger {}", path.display()))?
        } else if access == Access::Read {
            Connection::open_in_memory()?
        } else {
            create_private_file(path)?;
            connect(path, OpenFlags::default(), access)
                .with_context(|| format!("cannot open the ledger {}", path.display()))?
        };
        let mut store = Store {
            conn,
            site_id: String::new(),
            access,
            wal_frames: Arc::default(),
            created: (!existed && access.writes()).then(|| path.to_path_buf()),
            committed: std::cell::Cell::new(false),
        };
        match store.prepare(path) {
            Ok(()) => Ok(store),
            Err(e) if existed && access == Access::Read && cannot_share_memory(&e) && wal_is_empty(path) => {
                // A WAL ledger in a directory we may not write to, with no
                // -shm file: SQLite cannot make the shared memory it reads
                // through. With no WAL content there is nothing it would
                // read from there, so the main file alone is the whole
                // ledger: open it as immutable (no locks, no -shm).
                store.conn = open_immutable(path)?;
                store.prepare(path).map_err(|e| describe_open_error(e, path))?;
                Ok(store)
            }
            Err(e) if existed && access == Access::Read && cannot_share_memory(&e) => Err(UserError::new(format!(
                "cannot read the ledger {0}: its latest changes are in {0}-wal, which SQLite reads only through a {0}-shm file, and that file is missing and cannot be made here (a read-only directory); nothing was changed",
                path.display()
            ))
            .hint("copy the ledger with its -wal file to a directory you may write to and read the copy with --db, or run the command where the directory is writable")
            .into()),
            Err(e) => Err(describe_open_error(e, path)),
        }
    }

    fn prepare(&mut self, path: &Path) -> Result<()> {
        self.conn.busy_timeout(crate::config::busy_timeout())?;
        // Imports run a few dozen distinct statements per line: keep them all prepared.
        self.conn.set_prepared_statement_cache_capacity(128);
        self.conn.pragma_update(None, "foreign_keys", true)?;
        // Also what lets the writers' VFS hold a commit's frames until its
        // sync: SQLite syncs before it shows them to anyone (vfs::write_wal).
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        // (This pragma sets SQLite's WAL hook, so it comes before ours.)
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        if self.access.writes() {
            vfs::drop_held_writes_on_rollback(&mut self.conn)?;
        }
        let wal_frames = Arc::clone(&self.wal_frames);
        self.conn.wal_hook(Some(move |_: &mut Wal, frames: std::ffi::c_int| {
            wal_frames.store(u32::try_from(frames).unwrap_or(0), Ordering::Relaxed);
            Ok(())
        }))?;
        // Statement journals (every insert that fires a trigger keeps one,
        // to undo just that statement) in memory, not in a temporary file:
        // as a file they were a third of an import's time, in pwrite calls.
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        // Query-planner stability: otherwise SQLite re-prepares a statement
        // each time a new value is bound to a parameter it might plan
        // around, which cost an import three quarters of its time.
        self.conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        migrations::migrate(&mut self.conn, path)?;
        // A backup is a single file in rollback mode; written to, it becomes a ledger again.
        if self.access.writes() {
            let mode: String = self.conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            if mode != "wal" {
                self.conn.pragma_update(None, "journal_mode", "WAL")?;
            }
        }
        self.site_id = self
            .conn
            .query_row("SELECT value FROM ledger_meta WHERE key = 'site_id'", [], |r| r.get(0))?;
        Ok(())
    }

    /// For bulk writers whose references all come from lookups in their own
    /// transaction (imports): SQLite stops checking foreign keys on this
    /// connection. Set before [`Store::begin`]; the pragma is a no-op inside
    /// a transaction.
    pub fn without_foreign_key_checks(&self) -> Result<()> {
        self.conn.pragma_update(None, "foreign_keys", false)?;
        Ok(())
    }

    /// For readers that sort or compare whole tables (`check`): SQLite's
    /// temporary b-trees go to temporary files instead of memory, so that a
    /// 20-million-unit ledger is checked in bounded memory. Set before
    /// [`Store::begin`]: SQLite refuses it inside a transaction.
    pub fn temporary_tables_on_disk(&self) -> Result<()> {
        self.conn.pragma_update(None, "temp_store", "FILE")?;
        Ok(())
    }

    /// The id of the site that created this ledger (for merging and exports).
    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    /// One transaction: IMMEDIATE for writers, so two writers queue on the
    /// busy timeout instead of failing half-way; a snapshot for readers.
    pub fn begin(&mut self) -> Result<Txn<'_>> {
        let behavior = match self.access {
            Access::Write | Access::BulkWrite => TransactionBehavior::Immediate,
            Access::Read => TransactionBehavior::Deferred,
        };
        Ok(Txn {
            tx: self.conn.transaction_with_behavior(behavior)?,
            site_id: &self.site_id,
            committed: &self.committed,
        })
    }
}

impl Drop for Store {
    /// Checkpointing is upkeep, not durability (a commit is durable in the
    /// WAL), so a failure here is left for the next writer to retry.
    fn drop(&mut self) {
        if self.access.writes() && self.wal_frames.load(Ordering::Relaxed) > WAL_CHECKPOINT_FRAMES {
            let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        if let Some(path) = self.created.as_ref().filter(|_| !self.committed.get()) {
            // Only the empty ledger this very process created, never a file that was there.
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(file));
            }
        }
        if LEAVE_OPEN_AT_EXIT.load(Ordering::Relaxed) {
            // SAFETY: the handle stays valid (it is never closed); the
            // replacement does not own it, so dropping it closes nothing.
            if let Ok(unowned) = unsafe { Connection::from_handle(self.conn.handle()) } {
                std::mem::forget(std::mem::replace(&mut self.conn, unowned));
            }
        }
    }
}

/// Set by `main`, whose process ends as soon as the command returns: closing
/// a connection then only frees memory the operating system takes back
/// anyway (the parsed schema and statements, a fifth of a millisecond). There
/// is nothing to write on close (no checkpoint on close, see above), and the
/// locks go with the process, as they do when it is killed.
static LEAVE_OPEN_AT_EXIT: AtomicBool = AtomicBool::new(false);

/// From now on, a dropped [`Store`] leaves its connection for the process's exit to close.
pub fn leave_open_at_exit() {
    LEAVE_OPEN_AT_EXIT.store(true, Ordering::Relaxed);
}

/// Process-wide settings, which SQLite takes only before its first use.
/// Without memory statistics, SQLite's allocations skip a mutex and a
/// counter each: a command parses a schema of a hundred objects and
/// compiles its statements at every start, and allocates thousands of times.
/// (`.cargo/config.toml` builds SQLite with them off already; this keeps
/// them off in a build whose own `LIBSQLITE3_FLAGS` replaced ours.)
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: sqlite3_config is called before any other SQLite function
    // (the first connection goes through here); once SQLite has started it
    // refuses the call with SQLITE_MISUSE and changes nothing.
    ONCE.call_once(|| unsafe {
        ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
    });
}

/// Writers go through [`vfs::WRITER_VFS`]; readers, and writers should it
/// fail to register, through SQLite's default (a directory sync per process).
///
/// A writer of a command's few rows first tries to take the ledger alone
/// (SQLite's exclusive locking mode). When no other process has it open,
/// SQLite then keeps the WAL index in this process's memory and never sets
/// up the shared -shm file: a truncate, eight writes, a mapping and a dozen
/// locks, 0.1–0.17 ms of a `drive log` (measured, issue 5). A process that
/// comes meanwhile waits those few milliseconds on its busy timeout. When the
/// ledger is already open elsewhere (a nightly export, another writer), the
/// writer opens it again shared, as every writer did before, and waits only
/// where two writers must.
fn connect(path: &Path, flags: OpenFlags, access: Access) -> rusqlite::Result<Connection> {
    configure_sqlite();
    let open = || {
        if access.writes() && vfs::register() == ffi::SQLITE_OK {
            Connection::open_with_flags_and_vfs(path, flags, vfs::WRITER_VFS)
        } else {
            Connection::open_with_flags(path, flags)
        }
    };
    if access == Access::Write && may_take_alone(path) {
        let conn = open()?;
        if taken_alone(&conn) {
            return Ok(conn);
        }
    }
    open()
}

/// The most WAL a writer taken alone rebuilds its index from (a pread a
/// frame): the few commands since a checkpoint, not an import a reader kept
/// from checkpointing, whose rebuild and checkpoint would keep readers
/// waiting for seconds.
const ALONE_WAL_BYTES: u64 = 4 << 20;

/// Only a ledger whose WAL is small ([`ALONE_WAL_BYTES`]), in a directory
/// where this process could make the -shm a shared connection needs: where
/// it could not, a shared writer would have been refused, and taking the
/// ledger alone must not let one write where it never could.
fn may_take_alone(path: &Path) -> bool {
    wal_bytes(path) <= ALONE_WAL_BYTES && rustix::fs::access(directory_of(path), rustix::fs::Access::WRITE_OK).is_ok()
}

/// The directory `path` is in (`.` for a bare file name).
pub(super) fn directory_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether `conn` now holds the ledger alone. It must not wait: a reader
/// may hold the ledger for minutes. Anything but success (busy, or a file
/// that is not a ledger) leaves the answer to a shared connection, which
/// also words any error as it always has.
fn taken_alone(conn: &Connection) -> bool {
    // Dropped after a failed attempt, it must not checkpoint or delete the WAL.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).is_ok()
        && conn.pragma_update(None, "locking_mode", "EXCLUSIVE").is_ok()
        && conn.busy_timeout(Duration::ZERO).is_ok()
        // Reading the header takes the lock (and opens the WAL, in a WAL
        // ledger) without parsing the schema.
        && conn.query_row("PRAGMA schema_version", [], |_| Ok(())).is_ok()
}

pub struct Txn<'a> {
    tx: rusqlite::Transaction<'a>,
    site_id: &'a str,
    committed: &'a std::cell::Cell<bool>,
}

impl Txn<'_> {
    pub fn commit(self) -> Result<()> {
        // The caches of 0005 are recomputed here, so no writer can forget them.
        self.summarise_touched_drives()?;
        self.tx.commit()?;
        self.committed.set(true);
        Ok(())
    }
}

/// The SQL condition for "only this drive" (`?1`), or none when `?1` is NULL.
/// Two texts rather than `?1 IS NULL OR col = ?1`: the planner (stable, see
/// QPSG above) cannot use the index through the OR, and one drive's report
/// would scan every drive's rows.
fn only_drive(only: Option<i64>, column: &str) -> String {
    match only {
        Some(_) => format!("{column} = ?1"),
        None => "?1 IS NULL".to_string(),
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

/// SQLite's "cannot create or open the -shm file" on a read-only directory.
fn cannot_share_memory(error: &anyhow::Error) -> bool {
    let code = error
        .downcast_ref::<rusqlite::Error>()
        .and_then(|e| e.sqlite_error_code());
    matches!(code, Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen))
}

/// No `-wal` beside the ledger, or an empty one: every commit is in the main file.
fn wal_is_empty(path: &Path) -> bool {
    wal_bytes(path) == 0
}

/// The size of the `-wal` beside the ledger (0 when there is none).
fn wal_bytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len())
}

/// Opens `path` read-only as an immutable file (`file:…?immutable=1`).
fn open_immutable(path: &Path) -> Result<Connection> {
    use std::os::unix::ffi::OsStrExt;
    let absolute = std::path::absolute(path)?;
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(&uri, flags).with_context(|| format!("cannot open the ledger {}", path.display()))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer takes the ledger alone only over a WAL of the few commands
    /// since a checkpoint: a WAL an import left behind is shared, so that
    /// readers need not wait while it is read and checkpointed.
    #[test]
    fn a_large_wal_is_never_taken_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = dir.path().join("ledger.db");
        std::fs::write(&ledger, b"").expect("ledger");
        assert!(may_take_alone(&ledger), "no WAL yet");
        let wal = std::fs::File::create(dir.path().join("ledger.db-wal")).expect("wal");
        wal.set_len(ALONE_WAL_BYTES).expect("size");
        assert!(may_take_alone(&ledger), "a WAL of 4 MiB");
        wal.set_len(ALONE_WAL_BYTES + 1).expect("size");
        assert!(!may_take_alone(&ledger), "a WAL past 4 MiB");
    }

    /// `.cargo/config.toml` builds SQLite without what the ledger never
    /// uses (issue 5): if the flags stop reaching libsqlite3-sys (a renamed
    /// variable, a moved config), every command silently pays for them again.
    #[test]
    fn sqlite_is_built_without_what_the_ledger_does_not_use() {
        let conn = Connection::open_in_memory().expect("in memory");
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("compile options");
        for left_out in [
            "OMIT_JSON",
            "OMIT_LOAD_EXTENSION",
            "OMIT_SHARED_CACHE",
            "DEFAULT_MEMSTATUS=0",
        ] {
            assert!(options.iter().any(|o| o == left_out), "{left_out} in {options:?}");
        }
        for built_in in ["ENABLE_FTS3", "ENABLE_FTS5", "ENABLE_RTREE", "ENABLE_DBSTAT_VTAB"] {
            assert!(!options.iter().any(|o| o == built_in), "{built_in} in {options:?}");
        }
        let json = conn.query_row("SELECT json('[1]')", [], |r| r.get::<_, String>(0));
        assert!(json.is_err(), "json() is still built in: {json:?}");
    }
}
