//! The VFS writers open the ledger through: SQLite's unix VFS, except that
//! the directory is synced once per `-wal` file instead of once per process,
//! and that a checkpointed `-wal` keeps its blocks.
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
//! to overwrite a command's 88 KiB, on the 2-core VM's disk). Instead, the checkpointing writer zeroes
//! the `-wal`'s 32-byte header, under the same locks and at the same point
//! as SQLite's truncation: the file then reads as empty (SQLite ignores a
//! `-wal` without a valid header), the next writer writes a new header with
//! new salts over it and syncs it before any frame, and the old frames
//! behind it can never pass for new ones (their salts and checksums do not
//! match the header). That is how SQLite reuses a `-wal` in its other
//! checkpoint modes. A `-wal` past [`KEEP_WAL_BYTES`] (left by an import) is
//! truncated as SQLite asks, to give the space back.

use std::ffi::{CStr, OsStr, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name writers pass to `sqlite3_open_v2`.
pub const WRITER_VFS: &CStr = c"bloodledger-writer";

/// The unix VFS underneath (a `*mut sqlite3_vfs`, kept as an address so
/// the static is `Sync`): SQLite's VFS objects live as long as the process.
static BASE: OnceLock<usize> = OnceLock::new();
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
                unsafe { keep_blocks_of(file) };
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
        unsafe { keep_blocks_of(file) };
    }
    rc
}

/// A checkpointed `-wal` up to this size keeps its blocks.
pub const KEEP_WAL_BYTES: i64 = 4 << 20;

/// A `-wal` header: magic, version, page size, checkpoint count, salts, checksum.
const WAL_HEADER_BYTES: usize = 32;

/// SQLite's methods for a `-wal` and ours, which differ in `xTruncate` only
/// (addresses, as for [`BASE`]; ours are leaked, as SQLite keeps them).
static WAL_METHODS: OnceLock<(usize, usize)> = OnceLock::new();

/// Makes an open `-wal` truncate through [`truncate_wal`].
///
/// SAFETY: `file` was just opened by the unix VFS's xOpen, successfully.
unsafe fn keep_blocks_of(file: *mut ffi::sqlite3_file) {
    // SAFETY: an open sqlite3_file has its methods set (or null, left alone).
    let theirs = unsafe { (*file).pMethods };
    if theirs.is_null() {
        return;
    }
    let &(base, ours) = WAL_METHODS.get_or_init(|| {
        // SAFETY: the unix VFS's methods are a static table.
        let mut methods = unsafe { *theirs };
        methods.xTruncate = Some(truncate_wal);
        (theirs as usize, Box::into_raw(Box::new(methods)) as usize)
    });
    // Every unix file has the same table; should one not, it stays SQLite's.
    if base == theirs as usize {
        // SAFETY: the same methods but one, which calls through to the base.
        unsafe { (*file).pMethods = ours as *const ffi::sqlite3_io_methods };
    }
}

/// `xTruncate` for a `-wal`: to nothing means "no valid frames" (a TRUNCATE
/// checkpoint), which a zeroed header says as well; other sizes, and large
/// or header-less files, go to the unix VFS.
unsafe extern "C" fn truncate_wal(file: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    let Some(&(base, _)) = WAL_METHODS.get() else {
        return ffi::SQLITE_ERROR;
    };
    // SAFETY: set by keep_blocks_of before any file used this function.
    let base = unsafe { &*(base as *const ffi::sqlite3_io_methods) };
    if size == 0
        && let (Some(file_size), Some(write)) = (base.xFileSize, base.xWrite)
    {
        let mut current: ffi::sqlite3_int64 = 0;
        // SAFETY: SQLite's own open file, passed on to its own methods.
        let sized = unsafe { file_size(file, &mut current) } == ffi::SQLITE_OK;
        // A header or less holds no frames and may be a new file: it must
        // stay empty, so that the next writer syncs its directory (above).
        if sized && current > WAL_HEADER_BYTES as i64 && current <= KEEP_WAL_BYTES {
            let zeros = [0u8; WAL_HEADER_BYTES];
            // SAFETY: as above; the buffer outlives the call.
            return unsafe { write(file, zeros.as_ptr().cast(), WAL_HEADER_BYTES as c_int, 0) };
        }
    }
    match base.xTruncate {
        // SAFETY: as above.
        Some(truncate) => unsafe { truncate(file, size) },
        None => ffi::SQLITE_ERROR,
    }
}

fn opened_for_writing(out_flags: *const c_int) -> bool {
    // SAFETY: when not null, SQLite's own out-parameter, just written by xOpen.
    out_flags.is_null() || unsafe { *out_flags } & ffi::SQLITE_OPEN_READWRITE != 0
}

/// Errors are ignored, as SQLite ignores them: some file systems cannot sync
/// a directory at all.
fn sync_directory_of(file: &Path) {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}
