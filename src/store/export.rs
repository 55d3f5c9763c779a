//! Row-by-row reads for `export units|registrations|transfers`: a callback
//! per record, so a 20-million-unit export never sits in memory.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use anyhow::Result;
use rusqlite::types::ValueRef;
use rusqlite::{Row, Rows, Statement};

use super::{Txn, live};

/// One exported value as stored, borrowed from the row being read (or from
/// the drives and movements looked up for it), so a record costs no
/// allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    /// Text as SQLite holds it: UTF-8 whenever bloodledger wrote it, but a
    /// ledger file may come from elsewhere, so the writer checks (once, where
    /// it looks at every byte anyway).
    Text(&'a [u8]),
    /// Never written by bloodledger (its tables are STRICT), exported as text.
    Real(f64),
}

impl<'a> Cell<'a> {
    fn text(text: Option<&'a str>) -> Cell<'a> {
        text.map_or(Cell::Null, |text| Cell::Text(text.as_bytes()))
    }
}

const PII_COLUMNS: [&str; 4] = ["donor_name", "donor_born", "donor_phone", "donor_national_id"];
const PII_SQL: &str = ", o.name, o.born, o.phone, o.national_id";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    Units,
    Registrations,
    Transfers,
    /// Read after `Registrations`, as part of it.
    AnonymousDonations,
}

impl ExportTable {
    /// The columns, in order; personal data only with `include_pii`.
    pub fn columns(self, include_pii: bool) -> Vec<&'static str> {
        let mut columns = match self {
            ExportTable::Units => vec![
                "unit_id",
                "drive",
                "collected_on",
                "expires_on",
                "blood_group",
                "volume_ml",
                "product",
                "donor_id",
                "status",
                "facility",
                "moved_on",
                "discard_reason",
            ],
            ExportTable::Registrations | ExportTable::AnonymousDonations => {
                vec!["drive", "donor_id", "outcome", "reason", "unit_id"]
            }
            ExportTable::Transfers => vec!["drive", "facility", "date", "units", "unit_id"],
        };
        if include_pii && self != ExportTable::Transfers {
            columns.extend(PII_COLUMNS);
        }
        columns
    }

    fn sql(self, include_pii: bool) -> String {
        let pii = if include_pii { PII_SQL } else { "" };
        match self {
            // Read by `for_each_unit`: a join per unit costs 2.5 s a million.
            ExportTable::Units => unreachable!("units are read by for_each_unit"),
            ExportTable::Registrations => format!(
                "SELECT d.slug, o.donor_id, r.outcome, r.reason, u.unit_id {pii}
                 FROM registrations r JOIN drives d ON d.id = r.drive LEFT JOIN donors o ON o.id = r.donor
                 LEFT JOIN units u ON u.registration = r.id AND {live_u}
                 WHERE {live_r} ORDER BY r.id",
                live_u = live("u"),
                live_r = live("r"),
            ),
            // Anonymous donations since schema 0006: their units, after the rows.
            ExportTable::AnonymousDonations => format!(
                "SELECT d.slug, NULL, 'donated', NULL, u.unit_id {pii}
                 FROM units u JOIN drives d ON d.id = u.drive
                 WHERE u.registration IS NULL AND {live_u} ORDER BY u.id",
                pii = if include_pii { ", NULL, NULL, NULL, NULL" } else { "" },
                live_u = live("u"),
            ),
            ExportTable::Transfers => format!(
                "SELECT d.slug, f.slug, t.date, CASE WHEN u.id IS NULL THEN t.units ELSE 1 END, u.unit_id
                 FROM transfers t JOIN drives d ON d.id = t.drive JOIN facilities f ON f.id = t.facility
                 LEFT JOIN transfer_units tu ON tu.transfer = t.id LEFT JOIN units u ON u.id = tu.unit
                 WHERE {live_t} ORDER BY t.id, u.id",
                live_t = live("t"),
            ),
        }
    }
}

fn cell(value: ValueRef<'_>) -> Cell<'_> {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(n) => Cell::Int(n),
        ValueRef::Real(x) => Cell::Real(x),
        ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(t),
    }
}

/// The voided journal entries: one per correction, so few, read once. Units
/// come in runs of one entry (an import), so the last answer is kept.
struct Voided {
    entries: HashSet<i64>,
    last: Option<(i64, bool)>,
}

impl Voided {
    fn read(txn: &Txn) -> Result<Voided> {
        let mut stmt = txn.tx.prepare("SELECT voids FROM entries WHERE voids IS NOT NULL")?;
        let entries = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(Voided { entries, last: None })
    }

    fn any(&self) -> bool {
        !self.entries.is_empty()
    }

    fn live(&mut self, entry: i64) -> bool {
        match self.last {
            Some((last, live)) if last == entry => live,
            _ => {
                let live = !self.entries.contains(&entry);
                self.last = Some((entry, live));
                live
            }
        }
    }
}

/// How many rows a [`ById`] remembers before it starts afresh: enough for
/// every drive or transfer that a stretch of units refers to, and a few
/// hundred kilobytes at most, whatever the size of the ledger.
const REMEMBERED: usize = 4096;

/// Rows of a small table (drives, transfers, discards) looked up by id and
/// remembered: units come in runs of one drive or one transfer, so this is a
/// lookup per run instead of a join per unit, and memory stays flat.
struct ById<'c, T> {
    stmt: Statement<'c>,
    read: fn(&Row) -> rusqlite::Result<T>,
    last: Option<(i64, Rc<T>)>,
    remembered: HashMap<i64, Rc<T>>,
}

impl<'c, T> ById<'c, T> {
    fn new(txn: &'c Txn, sql: &str, read: fn(&Row) -> rusqlite::Result<T>) -> Result<ById<'c, T>> {
        Ok(ById {
            stmt: txn.tx.prepare(sql)?,
            read,
            last: None,
            remembered: HashMap::new(),
        })
    }

    /// The row with this id, or `None` when there is none.
    fn get(&mut self, id: i64) -> Result<Option<Rc<T>>> {
        if let Some((last, row)) = &self.last
            && *last == id
        {
            return Ok(Some(row.clone()));
        }
        let row = match self.remembered.get(&id) {
            Some(row) => row.clone(),
            None => {
                let mut rows = self.stmt.query([id])?;
                let Some(found) = rows.next()? else { return Ok(None) };
                let row = Rc::new((self.read)(found)?);
                if self.remembered.len() >= REMEMBERED {
                    self.remembered.clear();
                }
                self.remembered.insert(id, row.clone());
                row
            }
        };
        self.last = Some((id, row.clone()));
        Ok(Some(row))
    }
}

/// A transfer (facility, date) or a discard (date, reason), as a unit's
/// export shows it, with the entry that wrote it.
struct Movement {
    entry: i64,
    first: Option<String>,
    second: Option<String>,
}

impl Movement {
    fn read(row: &Row) -> rusqlite::Result<Movement> {
        Ok(Movement {
            entry: row.get(0)?,
            first: row.get(1)?,
            second: row.get(2)?,
        })
    }
}

/// A cursor over `(unit, movement)` ordered by unit, read in step with the
/// units, and the movements' details looked up by id.
struct ByUnit<'s, 'c> {
    rows: Rows<'s>,
    next: Option<(i64, i64)>,
    movements: ById<'c, Movement>,
}

impl<'s, 'c> ByUnit<'s, 'c> {
    fn new(mut rows: Rows<'s>, movements: ById<'c, Movement>) -> Result<ByUnit<'s, 'c>> {
        let next = Self::read(&mut rows)?;
        Ok(ByUnit { rows, next, movements })
    }

    fn read(rows: &mut Rows<'s>) -> Result<Option<(i64, i64)>> {
        let Some(row) = rows.next()? else { return Ok(None) };
        Ok(Some((row.get(0)?, row.get(1)?)))
    }

    /// The live movements of `unit` (skipping those of earlier, voided units).
    fn take(&mut self, unit: i64, voided: &mut Voided, into: &mut Vec<Rc<Movement>>) -> Result<()> {
        into.clear();
        while let Some((id, movement)) = self.next {
            if id > unit {
                break;
            }
            self.next = Self::read(&mut self.rows)?;
            if id == unit
                && let Some(movement) = self.movements.get(movement)?
                && voided.live(movement.entry)
            {
                into.push(movement);
            }
        }
        Ok(())
    }
}

/// The scan of every unit: id, entry and drive, then the exported columns
/// from `unit_id` on (personal data last, when asked for).
fn unit_scan_sql(include_pii: bool) -> String {
    let pii = if include_pii { PII_SQL } else { "" };
    format!(
        "SELECT u.id, u.entry, u.drive, u.unit_id, u.collected_on, u.expires_on, u.blood_group, u.volume_ml,
                u.product, o.donor_id {pii}
         FROM units u LEFT JOIN donors o ON o.id = u.donor ORDER BY u.id"
    )
}

/// One unit row of the scan: its id, entry and drive, and the exported
/// columns from `unit_id` on.
struct UnitRow<'a> {
    id: i64,
    entry: i64,
    drive: i64,
    cells: &'a [Cell<'a>],
}

/// A unit cell copied out of SQLite: text as a range of its batch's bytes.
#[derive(Clone, Copy)]
enum Held {
    Null,
    Int(i64),
    Real(f64),
    Text(usize, usize),
}

/// Rows of the unit scan, read on another thread.
struct UnitBatch {
    heads: Vec<(i64, i64, i64)>,
    cells: Vec<Held>,
    text: Vec<u8>,
}

/// Units per batch: a few hundred kilobytes; two batches in flight.
const BATCH: usize = 2048;

/// The unit scan on a second connection and thread, while this one merges
/// the movements and writes: a national export uses both cores of a laptop.
/// Only where that connection sees exactly this transaction's ledger: every
/// commit appends a journal entry, so the same last entry number is the
/// same content.
struct UnitReader {
    batches: std::sync::mpsc::Receiver<Result<UnitBatch, String>>,
    width: usize,
    thread: std::thread::JoinHandle<()>,
}

impl UnitReader {
    /// `None` when it is not worth it (a small ledger) or not possible (an
    /// in-memory or immutable ledger, or a commit in between).
    fn start(txn: &Txn, sql: &str) -> Result<Option<UnitReader>> {
        const WORTH_IT: i64 = 50_000;
        let Some(path) = txn.tx.path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from) else {
            return Ok(None);
        };
        let units: i64 = txn
            .tx
            .query_row("SELECT coalesce(max(id), 0) FROM units", [], |r| r.get(0))?;
        let last_entry: i64 = txn
            .tx
            .query_row("SELECT coalesce(max(number), 0) FROM entries", [], |r| r.get(0))?;
        if units < WORTH_IT || !path.is_file() {
            return Ok(None);
        }
        let (ready_tx, ready) = std::sync::mpsc::sync_channel::<Option<usize>>(1);
        let (batch_tx, batches) = std::sync::mpsc::sync_channel(2);
        let sql = sql.to_string();
        let thread = std::thread::spawn(move || {
            let opened = (|| -> rusqlite::Result<(rusqlite::Connection, i64)> {
                let conn = rusqlite::Connection::open_with_flags(
                    &path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(crate::config::busy_timeout())?;
                conn.execute_batch("BEGIN")?;
                let last: i64 = conn.query_row("SELECT coalesce(max(number), 0) FROM entries", [], |r| r.get(0))?;
                Ok((conn, last))
            })();
            let conn = match opened {
                Ok((conn, last)) if last == last_entry => conn,
                _ => {
                    let _ = ready_tx.send(None);
                    return;
                }
            };
            let read = (|| -> rusqlite::Result<()> {
                let mut stmt = conn.prepare(&sql)?;
                let width = stmt.column_count();
                if ready_tx.send(Some(width)).is_err() {
                    return Ok(());
                }
                let mut rows = stmt.query([])?;
                loop {
                    let mut batch = UnitBatch {
                        heads: Vec::with_capacity(BATCH),
                        cells: Vec::with_capacity(BATCH * (width - 3)),
                        text: Vec::with_capacity(BATCH * 64),
                    };
                    while batch.heads.len() < BATCH {
                        let Some(row) = rows.next()? else { break };
                        batch.heads.push((row.get(0)?, row.get(1)?, row.get(2)?));
                        for column in 3..width {
                            batch.cells.push(match row.get_ref(column)? {
                                ValueRef::Null => Held::Null,
                                ValueRef::Integer(n) => Held::Int(n),
                                ValueRef::Real(x) => Held::Real(x),
                                ValueRef::Text(t) | ValueRef::Blob(t) => {
                                    batch.text.extend_from_slice(t);
                                    Held::Text(batch.text.len() - t.len(), t.len())
                                }
                            });
                        }
                    }
                    let last = batch.heads.len() < BATCH;
                    if batch_tx.send(Ok(batch)).is_err() || last {
                        return Ok(());
                    }
                }
            })();
            if let Err(e) = read {
                let _ = batch_tx.send(Err(e.to_string()));
            }
        });
        match ready.recv() {
            Ok(Some(width)) => Ok(Some(UnitReader { batches, width, thread })),
            _ => {
                let _ = thread.join();
                Ok(None)
            }
        }
    }

    fn for_each(self, one_unit: &mut impl FnMut(UnitRow) -> Result<()>) -> Result<()> {
        let stride = self.width - 3;
        let mut outcome = Ok(());
        'batches: for batch in self.batches.iter() {
            let batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    outcome = Err(anyhow::anyhow!("reading the units: {e}"));
                    break;
                }
            };
            for (i, &(id, entry, drive)) in batch.heads.iter().enumerate() {
                let mut cells = [Cell::Null; 16];
                for (slot, held) in cells.iter_mut().zip(&batch.cells[i * stride..(i + 1) * stride]) {
                    *slot = match *held {
                        Held::Null => Cell::Null,
                        Held::Int(n) => Cell::Int(n),
                        Held::Real(x) => Cell::Real(x),
                        Held::Text(start, len) => Cell::Text(&batch.text[start..start + len]),
                    };
                }
                if let Err(e) = one_unit(UnitRow {
                    id,
                    entry,
                    drive,
                    cells: &cells[..stride],
                }) {
                    outcome = Err(e);
                    break 'batches;
                }
            }
        }
        // Dropping the receiver first ends a reader still sending.
        drop(self.batches);
        let _ = self.thread.join();
        outcome
    }
}

impl Txn<'_> {
    /// Every live unit with its status: one plain scan of the units and one
    /// of each movement table by unit, merged here, with drives, transfers
    /// and discards looked up once per run of units instead of joined per
    /// unit (a join per unit is most of what a million units cost).
    fn for_each_unit(&self, include_pii: bool, mut each: impl FnMut(&[Cell]) -> Result<()>) -> Result<()> {
        let mut voided = Voided::read(self)?;
        let mut drives = ById::new(self, "SELECT slug FROM drives WHERE id = ?1", |r| r.get::<_, String>(0))?;
        let transfers = ById::new(
            self,
            "SELECT t.entry, f.slug, t.date FROM transfers t LEFT JOIN facilities f ON f.id = t.facility
             WHERE t.id = ?1",
            Movement::read,
        )?;
        let discards = ById::new(
            self,
            "SELECT entry, date, reason FROM discards WHERE id = ?1",
            Movement::read,
        )?;
        // (unit, transfer) and (unit, discard): the indexes by unit hold both.
        let mut moved_units = self
            .tx
            .prepare("SELECT unit, transfer FROM transfer_units ORDER BY unit, transfer")?;
        let mut discarded_units = self
            .tx
            .prepare("SELECT unit, discard FROM discard_units ORDER BY unit, discard")?;
        let mut transfers = ByUnit::new(moved_units.query([])?, transfers)?;
        let mut discards = ByUnit::new(discarded_units.query([])?, discards)?;
        let (mut moved, mut thrown) = (Vec::new(), Vec::new());
        let mut one_unit = |unit: UnitRow| -> Result<()> {
            transfers.take(unit.id, &mut voided, &mut moved)?;
            discards.take(unit.id, &mut voided, &mut thrown)?;
            // Most ledgers have voided nothing: then the entry is not even read.
            if voided.any() && !voided.live(unit.entry) {
                return Ok(());
            }
            // As the join did: a unit of no drive is not exported.
            let Some(drive) = drives.get(unit.drive)? else {
                return Ok(());
            };
            let width = unit.cells.len();
            // As the join did: one row per (transfer, discard) pair, at least one.
            for t in moved.iter().map(Some).chain(moved.is_empty().then_some(None)) {
                for x in thrown.iter().map(Some).chain(thrown.is_empty().then_some(None)) {
                    let status = match (t, x) {
                        (Some(_), _) => "transferred",
                        (None, Some(_)) => "discarded",
                        (None, None) => "in-stock",
                    };
                    let mut cells = [Cell::Null; 16];
                    cells[0] = unit.cells[0];
                    cells[1] = Cell::text(Some(drive.as_str()));
                    cells[2..8].copy_from_slice(&unit.cells[1..7]);
                    cells[8] = Cell::text(Some(status));
                    cells[9] = Cell::text(t.and_then(|t| t.first.as_deref()));
                    cells[10] = Cell::text(match (t, x) {
                        (Some(t), _) => t.second.as_deref(),
                        (None, Some(x)) => x.first.as_deref(),
                        (None, None) => None,
                    });
                    cells[11] = Cell::text(x.and_then(|x| x.second.as_deref()));
                    cells[12..width + 5].copy_from_slice(&unit.cells[7..]);
                    each(&cells[..width + 5])?;
                }
            }
            Ok(())
        };
        let sql = unit_scan_sql(include_pii);
        if let Some(reader) = UnitReader::start(self, &sql)? {
            return reader.for_each(&mut one_unit);
        }
        let mut units = self.tx.prepare(&sql)?;
        let width = units.column_count();
        let mut rows = units.query([])?;
        while let Some(row) = rows.next()? {
            let mut cells = [Cell::Null; 16];
            for (slot, column) in cells.iter_mut().zip(3..width) {
                *slot = cell(row.get_ref(column)?);
            }
            one_unit(UnitRow {
                id: row.get(0)?,
                entry: row.get(1)?,
                drive: row.get(2)?,
                cells: &cells[..width - 3],
            })?;
        }
        Ok(())
    }

    /// Calls `each` with every live record of `table`, in the order written.
    pub fn for_each_record(
        &self,
        table: ExportTable,
        include_pii: bool,
        mut each: impl FnMut(&[Cell]) -> Result<()>,
    ) -> Result<()> {
        if table == ExportTable::Units {
            return self.for_each_unit(include_pii, each);
        }
        let mut stmt = self.tx.prepare(&table.sql(include_pii))?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut cells = [Cell::Null; 16];
            for (i, slot) in cells.iter_mut().enumerate().take(width) {
                *slot = cell(row.get_ref(i)?);
            }
            each(&cells[..width])?;
        }
        drop(rows);
        if table == ExportTable::Registrations {
            return self.for_each_record(ExportTable::AnonymousDonations, include_pii, each);
        }
        Ok(())
    }
}
