//! `--out FILE`: write beside FILE, sync, rename. A reader sees the old file
//! or the whole new one, never half; a failed export leaves the old file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// The temporary file is created 0600 (tempfile's default): exports may
    /// hold personal data with `--include-pii`.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(
                ".{}.",
                target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            ))
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
        })
    }

    pub fn writer(&self) -> Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(1 << 16, self.temp.as_file().try_clone()?))
    }

    /// Call after the writer is flushed: sync the data, rename over the
    /// target, sync the directory so the rename itself survives a power cut.
    pub fn commit(self) -> Result<()> {
        self.temp.as_file().sync_all()?;
        let target = self.target;
        self.temp
            .persist(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
