//! The VFS writers open the ledger through: SQLite's unix VFS, except that
//! the directory is synced once per `-wal` file instead of once per process,
//! that a checkpointed `-wal` keeps its blocks, and that a commit's frames
//! are written to it in one call.
//!
//! A commit is durable when the `-wal` holding it is synced *and* the
//! directory entry naming that file is on disk; otherwise a power cut can
//! take the file, commits and all. SQLite makes sure of the second by
//! syncing the directory after the first commit of every connection that
//! opened the `-wal` allowing "create" — which is every connection, even when
//! the file has been there for months: a second device flush per command.
//!
//! The rule here instead: a writer never puts a frame into a `-wal` whose
//! directory entry may not be on disk yet. When a writer's connection opens
//! a `-wal` that is missing or empty (new, made by a reader, or truncated by
//! a checkpoint), the directory is synced right then, before anything is
//! written into it. A `-wal` that already holds frames had that done by the
//! writer of its first frame (or, written by stock SQLite, by that writer's
//! own sync at its first commit), so it is opened without "create" and SQLite
//! does not sync the directory again.
//!
//! Second, a `-wal` keeps its blocks when a checkpoint empties it. SQLite's
//! TRUNCATE checkpoint (the one that leaves nothing for the next process to
//! mistake for new frames) cuts the file to nothing, so the frames of the
//! following commands are appended again: new blocks, and a sync that must
//! also write the file's new size and allocation (0.67 ms against 0.33 ms
//! to overwrite a command's 88 KiB of 4 KiB pages, on the 2-core VM's
//! disk). Instead, the checkpointing writer zeroes the `-wal`'s 32-byte
//! header, under the same locks and at the same point as SQLite's
//! truncation: the file then reads as empty (SQLite ignores a
//! `-wal` without a valid header), the next writer writes a new header with
//! new salts over it and syncs it before any frame, and the old frames
//! behind it can never pass for new ones (their salts and checksums do not
//! match the header). That is how SQLite reuses a `-wal` in its other
//! checkpoint modes. A `-wal` past [`KEEP_WAL_BYTES`] (left by an import) is
//! truncated as SQLite asks, to give the space back.
//!
//! Third, a run of writes to the `-wal` is written in one call: see
//! [`write_wal`].

use std::ffi::{CStr, OsStr, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name writers pass to `sqlite3_open_v2`.
pub const WRITER_VFS: &CStr = c"bloodledger-writer";

/// The unix VFS underneath (a `*mut sqlite3_vfs`, kept as an address so
/// the static is `Sync`): SQLite's VFS objects live as long as the process.
static BASE: OnceLock<usize> = OnceLock::new();
/// Where a `-wal`'s [`PendingWrites`] start, in bytes after its `sqlite3_file`.
static STATE_AT: OnceLock<usize> = OnceLock::new();
static REGISTERED: OnceLock<c_int> = OnceLock::new();

/// Registers [`WRITER_VFS`] (once per process); returns SQLite's result code.
pub fn register() -> c_int {
    // SAFETY: the VFS is registered once, copied from SQLite's own unix VFS,
    // and leaked: SQLite keeps the pointer for the life of the process.
    *REGISTERED.get_or_init(|| unsafe {
        let base = ffi::sqlite3_vfs_find(c"unix".as_ptr());
        if base.is_null() {
            return ffi::SQLITE_ERROR;
        }
        BASE.get_or_init(|| base as usize);
        let mut vfs = *base;
        // Room for a `-wal`'s pending writes after SQLite's own file.
        let theirs = usize::try_from(vfs.szOsFile).unwrap_or(0);
        let offset = theirs.next_multiple_of(std::mem::align_of::<PendingWrites>());
        let Ok(size) = c_int::try_from(offset + std::mem::size_of::<PendingWrites>()) else {
            return ffi::SQLITE_ERROR;
        };
        STATE_AT.get_or_init(|| offset);
        vfs.szOsFile = size;
        vfs.pNext = std::ptr::null_mut();
        vfs.zName = WRITER_VFS.as_ptr();
        vfs.xOpen = Some(open);
        ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0)
    })
}

/// `xOpen`: the unix VFS's, with the rule above for `-wal` files. Every
/// other file (the ledger itself, rollback journals, temporary files) is
/// opened exactly as the unix VFS would.
unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(base) = BASE.get().map(|&address| address as *mut ffi::sqlite3_vfs) else {
        return ffi::SQLITE_ERROR;
    };
    // SAFETY: `base` is SQLite's unix VFS, which always has xOpen; the
    // arguments are SQLite's own, passed on unchanged but for the flags.
    let Some(base_open) = (unsafe { (*base).xOpen }) else {
        return ffi::SQLITE_ERROR;
    };
    let open_with = |flags: c_int| unsafe { base_open(base, name, file, flags, out_flags) };
    if flags & ffi::SQLITE_OPEN_WAL == 0 || name.is_null() {
        return open_with(flags);
    }
    // SAFETY: SQLite passes the -wal's full path, NUL-terminated.
    let wal = Path::new(OsStr::from_bytes(unsafe { CStr::from_ptr(name) }.to_bytes()));
    if let Ok(meta) = std::fs::metadata(wal) {
        // Without "create", the unix VFS does not mark the file for a directory sync.
        let rc = open_with(flags & !ffi::SQLITE_OPEN_CREATE);
        if rc == ffi::SQLITE_OK {
            if opened_for_writing(out_flags) {
                if meta.len() == 0 {
                    sync_directory_of(wal);
                }
                // SAFETY: opened just now.
                unsafe { wrap_wal(file) };
            }
            return rc;
        }
        // Removed in between (a stock SQLite closing the last connection
        // deletes it): make it again, below.
    }
    let rc = open_with(flags);
    if rc == ffi::SQLITE_OK && opened_for_writing(out_flags) {
        // SQLite will sync the directory again after the first commit; this
        // sync is the one that comes before any frame.
        sync_directory_of(wal);
        // SAFETY: opened just now.
        unsafe { wrap_wal(file) };
    }
    rc
}

/// A checkpointed `-wal` up to this size keeps its blocks.
const KEEP_WAL_BYTES: i64 = 4 << 20;

/// A `-wal` header: magic, version, page size, checkpoint count, salts, checksum.
const WAL_HEADER_BYTES: usize = 32;

/// How much of a run of writes is held before it is written out: a
/// command's frames at once (a `drive log` writes some 50 KiB).
const WRITE_BEHIND_BYTES: usize = 128 << 10;

/// SQLite's methods for a `-wal` and ours, which differ in `xClose`,
/// `xRead`, `xWrite`, `xTruncate`, `xSync`, `xFileSize` and `xFileControl`
/// (addresses, as for [`BASE`]; ours are leaked, as SQLite keeps them).
static WAL_METHODS: OnceLock<(usize, usize)> = OnceLock::new();

/// Makes an open `-wal` go through the methods below.
///
/// SAFETY: `file` was just opened through [`open`] by the unix VFS's xOpen,
/// successfully (so it has the room for [`PendingWrites`] behind it).
unsafe fn wrap_wal(file: *mut ffi::sqlite3_file) {
    // SAFETY: an open sqlite3_file has its methods set (or null, left alone).
    let theirs = unsafe { (*file).pMethods };
    if theirs.is_null() {
        return;
    }
    let &(base, ours) = WAL_METHODS.get_or_init(|| {
        // SAFETY: the unix VFS's methods are a static table.
        let mut methods = unsafe { *theirs };
        methods.xClose = Some(close_wal);
        methods.xRead = Some(read_wal);
        methods.xWrite = Some(write_wal);
        methods.xTruncate = Some(truncate_wal);
        methods.xSync = Some(sync_wal);
        methods.xFileSize = Some(size_of_wal);
        methods.xFileControl = Some(control_wal);
        (theirs as usize, Box::into_raw(Box::new(methods)) as usize)
    });
    // Every unix file has the same table; should one not, it stays SQLite's.
    if base == theirs as usize {
        // SAFETY: the room behind the file is ours (szOsFile, in register);
        // it is initialised before any of our methods can run, and dropped
        // by close_wal, the last of them.
        unsafe {
            pending_at(file).write(PendingWrites::default());
            (*file).pMethods = ours as *const ffi::sqlite3_io_methods;
        }
    }
}

/// SQLite's methods under ours.
fn base_methods() -> Option<&'static ffi::sqlite3_io_methods> {
    let &(base, _) = WAL_METHODS.get()?;
    // SAFETY: the unix VFS's static table (wrap_wal).
    Some(unsafe { &*(base as *const ffi::sqlite3_io_methods) })
}

/// Calls SQLite's method `$name` on `$file` with the arguments that follow,
/// or answers SQLITE_ERROR should the unix VFS lack it.
macro_rules! base {
    ($name:ident($file:expr $(, $arg:expr)*)) => {
        match base_methods().and_then(|base| base.$name) {
            // SAFETY: SQLite's own method on its own open file, with the
            // arguments SQLite gave us (or our buffers, which outlive the call).
            Some(method) => unsafe { method($file $(, $arg)*) },
            None => ffi::SQLITE_ERROR,
        }
    };
}

/// A run of writes to a `-wal`, each starting where the last ended, not
/// yet written to the file.
#[derive(Default)]
struct PendingWrites {
    data: Vec<u8>,
    /// Where in the file `data` goes.
    start: i64,
    /// The error of a run that could not be written out: every later write
    /// and sync of the transaction fails with it (a read or a size that
    /// failed might not stop SQLite from committing without those frames).
    failed: c_int,
}

/// Where `file`'s run is kept (initialised by [`wrap_wal`]).
///
/// SAFETY: `file` was opened through [`open`].
unsafe fn pending_at(file: *mut ffi::sqlite3_file) -> *mut PendingWrites {
    let offset = STATE_AT.get().copied().unwrap_or_default();
    // SAFETY: within the szOsFile bytes SQLite allocated for the file.
    unsafe { file.cast::<u8>().add(offset).cast::<PendingWrites>() }
}

/// SAFETY: `file` is a `-wal` set up by [`wrap_wal`], not yet closed; SQLite
/// makes one call at a time on a file, so the reference is the only one.
unsafe fn pending_of<'a>(file: *mut ffi::sqlite3_file) -> &'a mut PendingWrites {
    // SAFETY: as above; initialised by wrap_wal.
    unsafe { &mut *pending_at(file) }
}

/// Writes out `file`'s pending run, if any.
///
/// SAFETY: `file` is the open `-wal` that `pending` belongs to.
unsafe fn write_out(file: *mut ffi::sqlite3_file, pending: &mut PendingWrites) -> c_int {
    if pending.failed != ffi::SQLITE_OK || pending.data.is_empty() {
        return pending.failed;
    }
    let rc = match c_int::try_from(pending.data.len()) {
        Ok(len) => base!(xWrite(file, pending.data.as_ptr().cast(), len, pending.start)),
        Err(_) => ffi::SQLITE_ERROR,
    };
    pending.data.clear();
    pending.failed = rc;
    rc
}

/// [`write_out`] for a `-wal`'s method.
///
/// SAFETY: as for [`pending_of`].
unsafe fn write_pending(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: as above; the run is the file's own.
    unsafe { write_out(file, pending_of(file)) }
}

/// `xWrite` for a `-wal`: a write that goes on where the pending run ends
/// joins it; any other first writes the run out. SQLite writes a frame as
/// its 24-byte header and then its page, two calls a frame, so a command's
/// frames were some forty `pwrite`s and an import's hundreds of thousands
/// (a second of a million-unit import); now a command's are one. The run is
/// written out before anything else is done with the file: a read, a size,
/// a truncation, a file control, a sync. SQLite syncs the `-wal` before a
/// commit's frames become visible to other connections (writers use
/// `synchronous=FULL`, see `Store::prepare`), so none ever reads a frame
/// that is still here; a rollback or a close drops the run instead (see
/// [`drop_held_writes_on_rollback`]).
unsafe extern "C" fn write_wal(file: *mut ffi::sqlite3_file, data: *const c_void, len: c_int, offset: i64) -> c_int {
    let size = usize::try_from(len).unwrap_or(0);
    // SAFETY: as for pending_of (this is a -wal's method).
    let pending = unsafe { pending_of(file) };
    if pending.failed != ffi::SQLITE_OK {
        return pending.failed;
    }
    let joins = !pending.data.is_empty()
        && offset == pending.start + pending.data.len() as i64
        && pending.data.len() + size <= WRITE_BEHIND_BYTES;
    if !joins {
        // SAFETY: the file's own run.
        let rc = unsafe { write_out(file, pending) };
        if rc != ffi::SQLITE_OK || size > WRITE_BEHIND_BYTES || data.is_null() {
            return if rc == ffi::SQLITE_OK {
                base!(xWrite(file, data, len, offset))
            } else {
                rc
            };
        }
        // Once, and only as much as it will hold: a run never moves.
        pending.data.reserve_exact(WRITE_BEHIND_BYTES);
        pending.start = offset;
    }
    // SAFETY: SQLite's buffer holds `len` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size) };
    pending.data.extend_from_slice(bytes);
    ffi::SQLITE_OK
}

/// The methods below write the pending run out first, then do SQLite's.
unsafe extern "C" fn read_wal(file: *mut ffi::sqlite3_file, out: *mut c_void, len: c_int, offset: i64) -> c_int {
    // SAFETY: as for pending_of (this is a -wal's method).
    match unsafe { write_pending(file) } {
        ffi::SQLITE_OK => base!(xRead(file, out, len, offset)),
        rc => rc,
    }
}

unsafe extern "C" fn sync_wal(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: as above.
    match unsafe { write_pending(file) } {
        ffi::SQLITE_OK => base!(xSync(file, flags)),
        rc => rc,
    }
}

unsafe extern "C" fn size_of_wal(file: *mut ffi::sqlite3_file, size: *mut ffi::sqlite3_int64) -> c_int {
    // SAFETY: as above.
    match unsafe { write_pending(file) } {
        ffi::SQLITE_OK => base!(xFileSize(file, size)),
        rc => rc,
    }
}

unsafe extern "C" fn control_wal(file: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    // SAFETY: as above.
    match unsafe { write_pending(file) } {
        ffi::SQLITE_OK => base!(xFileControl(file, op, arg)),
        rc => rc,
    }
}

/// `xClose` for a `-wal`: drops the run's buffer, then closes. A run still
/// held at close was never synced, so it belongs to no commit (each commit
/// syncs), and the lock that let it be written is gone: it is dropped, never
/// written (another writer may have used those offsets since).
unsafe extern "C" fn close_wal(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: written by wrap_wal; no call on the file follows its close.
    unsafe { std::ptr::drop_in_place(pending_at(file)) };
    base!(xClose(file))
}

/// Makes a rollback of `conn`'s transaction drop the run its `-wal` holds.
/// Frames a rolled-back transaction spilled are not synced, and SQLite makes
/// no call on the `-wal` when it rolls back: held, they would be written at
/// the file's next use, when another writer may have committed frames at
/// the same offsets.
pub fn drop_held_writes_on_rollback(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    // SAFETY: only the address is taken here; the hook that uses it is the
    // connection's own and runs while the connection is open.
    let db = unsafe { conn.handle() } as usize;
    conn.rollback_hook(Some(move || {
        // SAFETY: called by SQLite on this connection, inside its rollback.
        unsafe { drop_held_writes(db as *mut ffi::sqlite3) }
    }))
}

/// SAFETY: `db` is an open connection, inside its rollback hook.
unsafe fn drop_held_writes(db: *mut ffi::sqlite3) {
    // SAFETY: as the caller promises; SQLite is inside this connection's
    // rollback, so the -wal is idle.
    if let Some(pending) = unsafe { held_writes_of(db) } {
        pending.data.clear();
        pending.failed = ffi::SQLITE_OK;
    }
}

/// The run `db`'s `-wal` holds, when that `-wal` was opened through [`open`].
///
/// SAFETY: `db` is an open connection, and no call into SQLite on it runs
/// while the result is used.
unsafe fn held_writes_of<'a>(db: *mut ffi::sqlite3) -> Option<&'a mut PendingWrites> {
    let mut wal: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: the connection is open; the file control only reads which
    // file is the main database's journal (its -wal in WAL mode).
    let rc = unsafe {
        ffi::sqlite3_file_control(
            db,
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_JOURNAL_POINTER,
            (&raw mut wal).cast(),
        )
    };
    let ours = WAL_METHODS.get().map(|&(_, ours)| ours);
    // SAFETY: an open file SQLite handed back; ours when it has our methods,
    // and then set up by wrap_wal.
    (rc == ffi::SQLITE_OK && !wal.is_null() && ours == Some(unsafe { (*wal).pMethods } as usize))
        .then(|| unsafe { pending_of(wal) })
}

/// `xTruncate` for a `-wal`: to nothing means "no valid frames" (a TRUNCATE
/// checkpoint), which a zeroed header says as well; other sizes, and large
/// or header-less files, go to the unix VFS.
unsafe extern "C" fn truncate_wal(file: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    // SAFETY: as above.
    let rc = unsafe { write_pending(file) };
    if rc != ffi::SQLITE_OK {
        return rc;
    }
    if size == 0 {
        let mut current: ffi::sqlite3_int64 = 0;
        let sized = base!(xFileSize(file, &mut current)) == ffi::SQLITE_OK;
        // A header or less holds no frames and may be a new file: it must
        // stay empty, so that the next writer syncs its directory (above).
        if sized && current > WAL_HEADER_BYTES as i64 && current <= KEEP_WAL_BYTES {
            let zeros = [0u8; WAL_HEADER_BYTES];
            return base!(xWrite(file, zeros.as_ptr().cast(), WAL_HEADER_BYTES as c_int, 0));
        }
    }
    base!(xTruncate(file, size))
}

fn opened_for_writing(out_flags: *const c_int) -> bool {
    // SAFETY: when not null, SQLite's own out-parameter, just written by xOpen.
    out_flags.is_null() || unsafe { *out_flags } & ffi::SQLITE_OPEN_READWRITE != 0
}

/// Errors are ignored, as SQLite ignores them: some file systems cannot sync
/// a directory at all.
fn sync_directory_of(file: &Path) {
    if let Ok(dir) = std::fs::File::open(super::directory_of(file)) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    use super::*;

    /// A new directory for one test's database, removed when dropped.
    fn scratch() -> tempfile::TempDir {
        assert_eq!(register(), ffi::SQLITE_OK);
        tempfile::tempdir().expect("temp dir")
    }

    /// A connection through the writers' VFS, set up as `Store` sets up a
    /// writer's: 2 KiB pages, WAL, synchronous=FULL, the rollback hook.
    fn writer(path: &Path) -> Connection {
        let mut conn = Connection::open_with_flags_and_vfs(path, OpenFlags::default(), WRITER_VFS).expect("open");
        drop_held_writes_on_rollback(&mut conn).expect("hook");
        conn.execute_batch("PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .expect("pragmas");
        conn
    }

    /// A transaction far larger than its page cache spills pages into the
    /// `-wal` as it goes and reads them back from there: each read must see
    /// what was written, held in the pending run or not.
    #[test]
    fn a_transaction_larger_than_its_cache_reads_back_what_it_spilled() {
        let dir = scratch();
        let path = dir.path().join("spill.db");
        let conn = writer(&path);
        conn.execute_batch(
            "PRAGMA cache_size = 16; CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;",
        )
        .expect("schema");
        let rows: u64 = 20_000;
        // Keys in a scattered order, so that the b-tree's leaves are
        // visited again and again, long after the cache let them go.
        let key = |i: u64| format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        conn.execute_batch("BEGIN").expect("begin");
        for i in 0..rows {
            conn.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", (key(i), format!("value {i}")))
                .expect("insert");
        }
        conn.execute_batch("COMMIT").expect("commit");
        for reader in [conn, Connection::open(&path).expect("SQLite's own VFS")] {
            let (count, integrity): (u64, String) = reader
                .query_row(
                    "SELECT (SELECT count(*) FROM t), (SELECT integrity_check FROM pragma_integrity_check)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .expect("read back");
            assert_eq!((count, integrity.as_str()), (rows, "ok"));
            let v: String = reader
                .query_row("SELECT v FROM t WHERE k = ?1", [key(12_345)], |r| r.get(0))
                .expect("one row");
            assert_eq!(v, "value 12345");
        }
    }

    /// A transaction that spilled frames and rolled back leaves nothing to
    /// be written later: another writer's commit takes the same offsets of
    /// the `-wal`, and the first connection's next use of the file (here a
    /// checkpoint) must not write the old frames over it.
    #[test]
    fn a_rolled_back_transaction_leaves_no_frames_to_write_later() {
        let dir = scratch();
        let path = dir.path().join("rollback.db");
        let first = writer(&path);
        first
            .execute_batch(
                "PRAGMA cache_size = 16; CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
                 INSERT INTO t VALUES ('before', 'committed'); PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .expect("schema");
        // Rows in key order: the cache spills each full leaf once and never
        // reads it back, so the last few dozen frames are still held when
        // the transaction rolls back (and the rollback reads nothing from
        // the -wal, which the checkpoint above emptied).
        first.execute_batch("BEGIN").expect("begin");
        for i in 0..400 {
            first
                .execute(
                    "INSERT INTO t VALUES (?1, 'rolled back' || zeroblob(100))",
                    [format!("a{i:06}")],
                )
                .expect("insert");
        }
        // SAFETY: `first` is open, and idle while the length is read.
        let held = unsafe { held_writes_of(first.handle()) }.map_or(0, |p| p.data.len());
        assert!(held > 0, "nothing held at the rollback: the test would prove nothing");
        first.execute_batch("ROLLBACK").expect("rollback");
        // Another writer commits more frames over the same offsets.
        let second = writer(&path);
        second.execute_batch("BEGIN").expect("begin");
        for i in 0..3_000u64 {
            second
                .execute(
                    "INSERT INTO t VALUES (?1, ?2)",
                    (format!("second {i:05}"), format!("value {i}")),
                )
                .expect("insert");
        }
        second.execute_batch("COMMIT").expect("commit");
        first
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        let reader = Connection::open(&path).expect("SQLite's own VFS");
        let (rows, rolled_back, integrity): (u64, u64, String) = reader
            .query_row(
                "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM t WHERE k LIKE 'a%'),
                        (SELECT integrity_check FROM pragma_integrity_check)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("read back");
        assert_eq!((rows, rolled_back, integrity.as_str()), (3_001, 0, "ok"));
    }
}
