//! Row-by-row reads for `export units|registrations|transfers`: a callback
//! per record, so a 20-million-unit export never sits in memory.

use anyhow::Result;
use rusqlite::types::ValueRef;

use super::{Txn, live};

/// One exported value: text or integer, possibly empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
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
                 WHERE u.registration IS NULL AND u.entry {LIVE_ENTRY} ORDER BY u.id",
                pii = if include_pii { ", NULL, NULL, NULL, NULL" } else { "" },
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

/// Not voided: the voided entries, read once, rather than a lookup per row.
const LIVE_ENTRY: &str = "NOT IN (SELECT voids FROM entries WHERE voids IS NOT NULL)";

fn cell(value: ValueRef) -> Cell {
    match value {
        ValueRef::Null => Cell::Text(None),
        ValueRef::Integer(n) => Cell::Int(Some(n)),
        ValueRef::Real(x) => Cell::Text(Some(x.to_string())),
        ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(Some(String::from_utf8_lossy(t).into_owned())),
    }
}

/// A query ordered by a unit's row id (its first column), read in step with
/// the units: the live movements of each unit.
struct ByUnit<'s> {
    rows: rusqlite::Rows<'s>,
    next: Option<(i64, Vec<Cell>)>,
}

impl<'s> ByUnit<'s> {
    fn new(mut rows: rusqlite::Rows<'s>) -> Result<ByUnit<'s>> {
        let next = Self::read(&mut rows)?;
        Ok(ByUnit { rows, next })
    }

    fn read(rows: &mut rusqlite::Rows<'s>) -> Result<Option<(i64, Vec<Cell>)>> {
        let Some(row) = rows.next()? else { return Ok(None) };
        let width = row.as_ref().column_count();
        let cells = (1..width)
            .map(|i| row.get_ref(i).map(cell))
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some((row.get(0)?, cells)))
    }

    /// The rows of `unit` (skipping those of earlier, voided units).
    fn take(&mut self, unit: i64, into: &mut Vec<Vec<Cell>>) -> Result<()> {
        into.clear();
        while let Some((id, _)) = &self.next {
            if *id > unit {
                break;
            }
            let next = Self::read(&mut self.rows)?;
            if let Some((id, cells)) = std::mem::replace(&mut self.next, next)
                && id == unit
            {
                into.push(cells);
            }
        }
        Ok(())
    }
}

impl Txn<'_> {
    /// Every live unit with its status: one ordered scan of the units and one
    /// of each movement table by unit, merged here, instead of a join per
    /// unit (what the query of [`ExportTable::sql`] costs at a million units).
    fn for_each_unit(&self, include_pii: bool, mut each: impl FnMut(&[Cell]) -> Result<()>) -> Result<()> {
        let pii = if include_pii { PII_SQL } else { "" };
        let mut units = self.tx.prepare(&format!(
            "SELECT u.id, u.unit_id, d.slug, u.collected_on, u.expires_on, u.blood_group, u.volume_ml, u.product,
                    o.donor_id {pii}
             FROM units u JOIN drives d ON d.id = u.drive LEFT JOIN donors o ON o.id = u.donor
             WHERE u.entry {LIVE_ENTRY} ORDER BY u.id"
        ))?;
        let mut transfers = self.tx.prepare(&format!(
            "SELECT tu.unit, f.slug, t.date FROM transfer_units tu JOIN transfers t ON t.id = tu.transfer
             LEFT JOIN facilities f ON f.id = t.facility
             WHERE t.entry {LIVE_ENTRY} ORDER BY tu.unit"
        ))?;
        let mut discards = self.tx.prepare(&format!(
            "SELECT du.unit, x.date, x.reason FROM discard_units du JOIN discards x ON x.id = du.discard
             WHERE x.entry {LIVE_ENTRY} ORDER BY du.unit"
        ))?;
        let mut transfers = ByUnit::new(transfers.query([])?)?;
        let mut discards = ByUnit::new(discards.query([])?)?;
        let width = units.column_count();
        let mut rows = units.query([])?;
        let (mut moved, mut thrown) = (Vec::new(), Vec::new());
        let none = [Cell::Text(None), Cell::Text(None)];
        let mut cells = Vec::with_capacity(width + 3);
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            transfers.take(id, &mut moved)?;
            discards.take(id, &mut thrown)?;
            // As the join did: one row per (transfer, discard) pair, at least one.
            for t in moved
                .iter()
                .map(|t| Some(t.as_slice()))
                .chain(moved.is_empty().then_some(None))
            {
                for x in thrown
                    .iter()
                    .map(|x| Some(x.as_slice()))
                    .chain(thrown.is_empty().then_some(None))
                {
                    cells.clear();
                    for i in 1..9 {
                        cells.push(cell(row.get_ref(i)?));
                    }
                    let status = match (t, x) {
                        (Some(_), _) => "transferred",
                        (None, Some(_)) => "discarded",
                        (None, None) => "in-stock",
                    };
                    cells.push(Cell::Text(Some(status.to_string())));
                    let [t_facility, t_date] = t.unwrap_or(&none) else {
                        unreachable!("two columns")
                    };
                    let [x_date, x_reason] = x.unwrap_or(&none) else {
                        unreachable!("two columns")
                    };
                    cells.push(t_facility.clone());
                    cells.push(if t.is_some() { t_date.clone() } else { x_date.clone() });
                    cells.push(x_reason.clone());
                    for i in 9..width {
                        cells.push(cell(row.get_ref(i)?));
                    }
                    each(&cells)?;
                }
            }
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
        let mut cells = Vec::with_capacity(width);
        while let Some(row) = rows.next()? {
            cells.clear();
            for i in 0..width {
                cells.push(cell(row.get_ref(i)?));
            }
            each(&cells)?;
        }
        drop(rows);
        if table == ExportTable::Registrations {
            return self.for_each_record(ExportTable::AnonymousDonations, include_pii, each);
        }
        Ok(())
    }
}
