//! The INSERT of a bulk load of units, on SQLite's own statement handles.
//!
//! rusqlite binds every text as SQLITE_TRANSIENT: SQLite copies it, into a
//! buffer it allocates and frees again at the next bind, and each value goes
//! through a dynamic `ToSql`. For the eleven values of a million units that
//! was about a tenth of the writing thread of `import units`. Here the texts
//! are bound SQLITE_STATIC (they outlive the step, which is all SQLite asks)
//! and the integers directly; and units go in [`MANY`] to a statement, for
//! each run of a statement (cursors opened, closed, the program reset) cost
//! about as much as the rows it wrote. Only these statements are done this
//! way; every other one goes through rusqlite.

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr;

use rusqlite::{Connection, ffi};

use super::items::{INSERT_UNIT, IsoDate, NewUnit, iso_date};

/// Units written by one statement of a bulk load (`store::UNITS_PER_INSERT`).
pub const MANY: usize = 64;

/// The values of one unit row.
const COLUMNS: usize = 11;

/// [`INSERT_UNIT`] for one unit and for [`MANY`], prepared, finalized when
/// dropped (before their connection: they borrow it).
pub struct UnitInsert<'c> {
    one: *mut ffi::sqlite3_stmt,
    many: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> UnitInsert<'c> {
    pub fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        let rows = vec![format!("({})", ["?"; COLUMNS].join(", ")); MANY].join(", ");
        let (head, _) = INSERT_UNIT.split_once("VALUES").unwrap_or((INSERT_UNIT, ""));
        let many_sql = format!("{head}VALUES {rows}");
        // SAFETY: the handle is the connection's, which outlives `self`
        // (the borrow); SQLite writes each statement pointer or NULL.
        unsafe {
            let db = conn.handle();
            let one = prepare(db, INSERT_UNIT)?;
            let many = match prepare(db, &many_sql) {
                Ok(many) => many,
                Err(e) => {
                    ffi::sqlite3_finalize(one);
                    return Err(e);
                }
            };
            Ok(UnitInsert {
                one,
                many,
                db,
                _conn: PhantomData,
            })
        }
    }

    /// Writes one unit row; `false` when its unit id is taken (nothing written).
    pub fn insert(&mut self, entry: i64, unit: &NewUnit) -> rusqlite::Result<bool> {
        let dates = [(iso_date(unit.collected_on), iso_date(unit.expires_on))];
        // SAFETY: `one` is a live statement of `db` with one row of values;
        // `dates` and `unit` outlive the step.
        unsafe {
            bind(self.db, self.one, 0, entry, unit, &dates[0])?;
            self.step(self.one)
        }
    }

    /// Writes exactly [`MANY`] unit rows in one statement; `false` (and
    /// nothing written) when any of their unit ids is taken, or repeated.
    pub fn insert_many(&mut self, entry: i64, units: &[NewUnit]) -> rusqlite::Result<bool> {
        assert_eq!(units.len(), MANY, "insert_many takes {MANY} units");
        let dates: Vec<(IsoDate, IsoDate)> = units
            .iter()
            .map(|u| (iso_date(u.collected_on), iso_date(u.expires_on)))
            .collect();
        // SAFETY: `many` is a live statement of `db` with MANY rows of
        // values; `dates` and `units` outlive the step.
        unsafe {
            for (row, (unit, dates)) in units.iter().zip(&dates).enumerate() {
                bind(self.db, self.many, row * COLUMNS, entry, unit, dates)?;
            }
            self.step(self.many)
        }
    }

    /// Runs a bound statement and resets it: `true` when it wrote, `false`
    /// when a unit id was taken (the statement undid its rows).
    ///
    /// # Safety
    /// `stmt` must be one of this object's statements, with every value bound
    /// to memory that lives until this returns.
    unsafe fn step(&mut self, stmt: *mut ffi::sqlite3_stmt) -> rusqlite::Result<bool> {
        // SAFETY: the caller's.
        unsafe {
            let rc = ffi::sqlite3_step(stmt);
            let result = match rc {
                ffi::SQLITE_DONE => Ok(true),
                _ if ffi::sqlite3_extended_errcode(self.db) == ffi::SQLITE_CONSTRAINT_UNIQUE => Ok(false),
                _ => Err(error(self.db, rc)),
            };
            // The error is read above: reset repeats it. The texts stay bound
            // (to the caller's memory) but are never read again: every call
            // binds all the values of its statement before it steps.
            ffi::sqlite3_reset(stmt);
            result
        }
    }
}

impl Drop for UnitInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, here; the connection is still open (borrowed).
        unsafe {
            ffi::sqlite3_finalize(self.one);
            ffi::sqlite3_finalize(self.many);
        }
    }
}

/// # Safety
/// `db` must be an open connection.
unsafe fn prepare(db: *mut ffi::sqlite3, sql: &str) -> rusqlite::Result<*mut ffi::sqlite3_stmt> {
    let mut stmt = ptr::null_mut();
    // SAFETY: the caller's; SQLite reads `sql.len()` bytes.
    let rc =
        unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), sql.len() as c_int, &mut stmt, ptr::null_mut()) };
    if rc != ffi::SQLITE_OK {
        // SAFETY: the caller's.
        return Err(unsafe { error(db, rc) });
    }
    Ok(stmt)
}

/// Binds one unit's values at parameters `offset + 1 ..= offset + 11`, in
/// the order of [`INSERT_UNIT`].
///
/// # Safety
/// `stmt` must be a live statement of `db` with those parameters; `unit`
/// and `dates` must outlive its next step (texts are bound SQLITE_STATIC).
unsafe fn bind(
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    offset: usize,
    entry: i64,
    unit: &NewUnit,
    dates: &(IsoDate, IsoDate),
) -> rusqlite::Result<()> {
    let texts: [(usize, Option<&str>); 6] = [
        (2, Some(unit.unit_id)),
        (6, Some(unit.blood_group.as_str())),
        (8, Some(unit.product.as_str())),
        (9, Some(dates.0.as_str())),
        (10, Some(dates.1.as_str())),
        (11, unit.override_reason),
    ];
    let integers: [(usize, Option<i64>); 5] = [
        (1, Some(entry)),
        (3, Some(unit.drive)),
        (4, unit.registration),
        (5, unit.donor),
        (7, Some(unit.volume_ml as i64)),
    ];
    // SAFETY: the caller's.
    unsafe {
        for (column, value) in texts {
            let index = (offset + column) as c_int;
            let rc = match value {
                Some(text) => ffi::sqlite3_bind_text(
                    stmt,
                    index,
                    text.as_ptr().cast(),
                    text.len() as c_int,
                    ffi::SQLITE_STATIC(),
                ),
                None => ffi::sqlite3_bind_null(stmt, index),
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc));
            }
        }
        for (column, value) in integers {
            let index = (offset + column) as c_int;
            let rc = match value {
                Some(n) => ffi::sqlite3_bind_int64(stmt, index, n),
                None => ffi::sqlite3_bind_null(stmt, index),
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc));
            }
        }
    }
    Ok(())
}

/// The connection's error, as rusqlite reports one.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: the caller's; SQLite's message lives until the next call.
    let (message, code) = unsafe {
        let text = ffi::sqlite3_errmsg(db);
        let message = (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned());
        (message, ffi::sqlite3_extended_errcode(db))
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(if code != 0 { code } else { rc }), message)
}
