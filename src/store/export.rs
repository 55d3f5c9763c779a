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
            ExportTable::Registrations => vec!["drive", "donor_id", "outcome", "reason", "unit_id"],
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
            ExportTable::Units => format!(
                "SELECT u.unit_id, d.slug, u.collected_on, u.expires_on, u.blood_group, u.volume_ml, u.product, o.donor_id,
                        CASE WHEN t.id IS NOT NULL THEN 'transferred' WHEN x.id IS NOT NULL THEN 'discarded' ELSE 'in-stock' END,
                        f.slug, coalesce(t.date, x.date), x.reason {pii}
                 FROM units u JOIN drives d ON d.id = u.drive LEFT JOIN donors o ON o.id = u.donor
                 LEFT JOIN (transfer_units tu JOIN transfers t ON t.id = tu.transfer AND {live_t}) ON tu.unit = u.id
                 LEFT JOIN facilities f ON f.id = t.facility
                 LEFT JOIN (discard_units du JOIN discards x ON x.id = du.discard AND {live_x}) ON du.unit = u.id
                 WHERE {live_u} ORDER BY u.id",
                live_t = live("t"),
                live_x = live("x"),
                live_u = live("u"),
            ),
            ExportTable::Registrations => format!(
                "SELECT d.slug, o.donor_id, r.outcome, r.reason, u.unit_id {pii}
                 FROM registrations r JOIN drives d ON d.id = r.drive LEFT JOIN donors o ON o.id = r.donor
                 LEFT JOIN units u ON u.registration = r.id AND {live_u}
                 WHERE {live_r} ORDER BY r.id",
                live_u = live("u"),
                live_r = live("r"),
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

impl Txn<'_> {
    /// Calls `each` with every live record of `table`, in the order written.
    pub fn for_each_record(
        &self,
        table: ExportTable,
        include_pii: bool,
        mut each: impl FnMut(&[Cell]) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare(&table.sql(include_pii))?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut cells = Vec::with_capacity(width);
        while let Some(row) = rows.next()? {
            cells.clear();
            for i in 0..width {
                cells.push(match row.get_ref(i)? {
                    ValueRef::Null => Cell::Text(None),
                    ValueRef::Integer(n) => Cell::Int(Some(n)),
                    ValueRef::Real(x) => Cell::Text(Some(x.to_string())),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(Some(String::from_utf8_lossy(t).into_owned())),
                });
            }
            each(&cells)?;
        }
        Ok(())
    }
}
