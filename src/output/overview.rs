//! What `bloodledger` alone prints: the everyday commands, not every option.

use anyhow::Result;

use super::Out;

const OVERVIEW: &str = "\
bloodledger — the ledger of voluntary blood-donation drives

Everyday commands:
  bloodledger drive log SLUG …    log a drive's results from the paper forms
  bloodledger drive plan SLUG …   plan a drive
  bloodledger drive list          the drives; `drive show SLUG` for one
  bloodledger transfer …          move units from a drive to a hospital
  bloodledger totals              cumulative totals, e.g. 40 544 units over eight years
  bloodledger history             the journal; `bloodledger void ENTRY` takes one back
  bloodledger check               check every invariant (silent when all is well)

In a terminal, `bloodledger drive log` asks for whatever you leave out.
`bloodledger --help` lists every command; `bloodledger COMMAND --help` shows examples.";

pub fn overview(out: &mut Out) -> Result<()> {
    out.line(OVERVIEW)
}
