//! `backup`: a consistent copy through SQLite's online backup API.

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::backup::Backup;

use super::Store;

impl Store {
    /// Copies the ledger to `dest`, a new file (0600). The copy is made in one
    /// step inside one read transaction, so writers carry on (WAL) and the
    /// copy is the ledger as of one moment. The copy is a single file (no
    /// WAL beside it), ready to carry on a USB stick.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let dir = super::directory_of(dest);
        let temp = tempfile::Builder::new()
            .prefix(".bloodledger-backup.")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        let copied = (|| -> Result<()> {
            let mut copy = Connection::open(temp.path())?;
            Backup::new(&self.conn, &mut copy)?.step(-1)?;
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            copy.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
            Ok(())
        })();
        if let Err(error) = copied {
            // The copy's own journal would outlive the temporary file.
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut side = temp.path().as_os_str().to_owned();
                side.push(suffix);
                let _ = std::fs::remove_file(side);
            }
            return Err(error);
        }
        temp.as_file().sync_all()?;
        temp.persist_noclobber(dest)
            .with_context(|| format!("cannot write the backup {}", dest.display()))?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
