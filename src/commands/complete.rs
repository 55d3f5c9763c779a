//! Values a shell completes at Tab (clap_complete's dynamic engine runs the
//! binary with `BLOODLEDGER_COMPLETE=SHELL`): the slugs in the ledger of `BLOODLEDGER_DB`
//! or the default path. A ledger that cannot be read completes nothing.

use anyhow::Result;
use clap_complete::engine::CompletionCandidate;

use crate::store::{Access, Store};

fn candidates(list: impl FnOnce(&crate::store::Txn) -> Result<Vec<(String, String)>>) -> Vec<CompletionCandidate> {
    let found = (|| {
        let path = crate::config::ledger_path_from_env()?;
        if !path.exists() {
            return Ok(Vec::new());
        }
        let mut store = Store::open(&path, Access::Read)?;
        let txn = store.begin()?;
        list(&txn)
    })();
    found
        .unwrap_or_default()
        .into_iter()
        .map(|(value, help)| CompletionCandidate::new(value).help(Some(help.into())))
        .collect()
}

/// Drive slugs, each with its date and place as help (zsh and fish show it).
pub fn drive_slugs() -> Vec<CompletionCandidate> {
    candidates(|txn| {
        Ok(txn
            .drives(None)?
            .into_iter()
            .rev() // the latest first: the one most likely wanted
            .map(|d| {
                let place = [d.attrs.district.as_deref(), d.attrs.province.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    d.slug,
                    format!("{} {} {place}", d.date, d.status.as_str())
                        .trim_end()
                        .to_string(),
                )
            })
            .collect())
    })
}

pub fn campaign_slugs() -> Vec<CompletionCandidate> {
    candidates(|txn| Ok(txn.campaigns(None)?.into_iter().map(|c| (c.slug, c.name)).collect()))
}

pub fn facility_slugs() -> Vec<CompletionCandidate> {
    candidates(|txn| Ok(txn.facilities(None)?.into_iter().map(|f| (f.slug, f.name)).collect()))
}
