//! The bloodledger sources, compiled by path: every top-level module of
//! src/main.rs (keep the list in step with it), so that `crate::…` paths in
//! them resolve here as they do in the binary.

#![allow(dead_code, unused_imports, unused_macros)]

#[path = "../../src/cli.rs"]
pub mod cli;
#[path = "../../src/commands/mod.rs"]
pub mod commands;
#[path = "../../src/config.rs"]
pub mod config;
#[path = "../../src/error.rs"]
pub mod error;
#[path = "../../src/ledger/mod.rs"]
pub mod ledger;
#[path = "../../src/output/mod.rs"]
pub mod output;
#[path = "../../src/store/mod.rs"]
pub mod store;
