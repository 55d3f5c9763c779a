//! All integration tests in one binary (one link, as jj and ripgrep do).

mod cli;
mod common;
