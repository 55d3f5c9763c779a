//! The INSERT of a bulk load of units, on SQLite's own statement handle.
//!
//! rusqlite binds every text as SQLITE_TRANSIENT: SQLite copies it, into a
//! buffer it allocates and frees again at the next bind, and each value goes
//! through a dynamic `ToSql`. For the eleven values of a million units that
//! was about a tenth of the writing thread of `import units`. Here the texts
//! are bound SQLITE_STATIC (they outlive the step, which is all SQLite asks)
//! and the integers directly. Only this statement is done this way; every
//! other one goes through rusqlite.

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr;

use rusqlite::{Connection, ffi};

use super::items::{INSERT_UNIT, NewUnit, iso_date};

/// A prepared [`INSERT_UNIT`], finalized when dropped (before its connection:
/// it borrows it).
pub struct UnitInsert<'c> {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> UnitInsert<'c> {
    pub fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        // SAFETY: the handle is the connection's, which outlives `self`
        // (the borrow); SQLite writes the statement pointer or NULL.
        unsafe {
            let db = conn.handle();
            let mut stmt = ptr::null_mut();
            let rc = ffi::sqlite3_prepare_v2(
                db,
                INSERT_UNIT.as_ptr().cast(),
                INSERT_UNIT.len() as c_int,
                &mut stmt,
                ptr::null_mut(),
            );
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc));
            }
            Ok(UnitInsert {
                stmt,
                db,
                _conn: PhantomData,
            })
        }
    }

    /// Writes one unit row; `false` when its unit id is taken (nothing written).
    pub fn insert(&mut self, entry: i64, unit: &NewUnit) -> rusqlite::Result<bool> {
        let collected_on = iso_date(unit.collected_on);
        let expires_on = iso_date(unit.expires_on);
        let texts: [(c_int, Option<&str>); 6] = [
            (2, Some(unit.unit_id)),
            (6, Some(unit.blood_group.as_str())),
            (8, Some(unit.product.as_str())),
            (9, Some(collected_on.as_str())),
            (10, Some(expires_on.as_str())),
            (11, unit.override_reason),
        ];
        let integers: [(c_int, Option<i64>); 5] = [
            (1, Some(entry)),
            (3, Some(unit.drive)),
            (4, unit.registration),
            (5, unit.donor),
            (7, Some(unit.volume_ml as i64)),
        ];
        // SAFETY: `stmt` is a live statement of `db`; every text bound
        // SQLITE_STATIC lives on this stack frame until after the reset
        // below, and SQLite reads bound values only while stepping.
        unsafe {
            for (index, value) in texts {
                let rc = match value {
                    Some(text) => ffi::sqlite3_bind_text(
                        self.stmt,
                        index,
                        text.as_ptr().cast(),
                        text.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    None => ffi::sqlite3_bind_null(self.stmt, index),
                };
                if rc != ffi::SQLITE_OK {
                    return Err(error(self.db, rc));
                }
            }
            for (index, value) in integers {
                let rc = match value {
                    Some(n) => ffi::sqlite3_bind_int64(self.stmt, index, n),
                    None => ffi::sqlite3_bind_null(self.stmt, index),
                };
                if rc != ffi::SQLITE_OK {
                    return Err(error(self.db, rc));
                }
            }
            let rc = ffi::sqlite3_step(self.stmt);
            let result = match rc {
                ffi::SQLITE_DONE => Ok(true),
                _ if ffi::sqlite3_extended_errcode(self.db) == ffi::SQLITE_CONSTRAINT_UNIQUE => Ok(false),
                _ => Err(error(self.db, rc)),
            };
            // The error is read above: reset repeats it. The texts stay bound
            // (to this frame's memory) but are never read again: every call
            // binds all eleven values before it steps.
            ffi::sqlite3_reset(self.stmt);
            result
        }
    }
}

impl Drop for UnitInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, here; the connection is still open (borrowed).
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

/// The connection's error, as rusqlite reports one.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: the caller's; SQLite's message lives until the next call.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(db);
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    };
    let code = unsafe { ffi::sqlite3_extended_errcode(db) };
    rusqlite::Error::SqliteFailure(ffi::Error::new(if code != 0 { code } else { rc }), message)
}
