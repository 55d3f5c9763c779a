//! On Linux with glibc, links the functions that everyday commands run side
//! by side, ahead of the rest of the code (src/hot-text.ld, made by
//! benches/hot_text.sh). A command's few hundred functions are otherwise
//! spread over the whole 6 MB text, and every 64 KiB stretch it touches is
//! a page fault when the binary sits in the page cache as it was read back
//! from disk: one `drive log` 287 → 259 faults, 0.17 ms (issue 5).
//!
//! The script only adds an output section before `.text` (`INSERT BEFORE`),
//! which GNU ld and lld both read; a pattern that matches nothing costs
//! nothing. Only the program gets it, not the test binaries.

fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hot-text.ld");
    println!("cargo:rerun-if-changed=src/hot-text.ld");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        // Two arguments, so that no character of the path is the driver's to split on.
        println!("cargo:rustc-link-arg-bins=-T");
        println!("cargo:rustc-link-arg-bins={}", script.display());
    }
}
