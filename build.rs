//! On Linux with glibc, links the functions that everyday commands run side
//! by side, ahead of the rest of the code (src/hot-text.ld, made by
//! benches/hot_text.sh). A command's few hundred functions are otherwise
//! spread over the whole text, and every 64 KiB stretch it touches is a page
//! fault when the binary sits in the page cache as it was read back from
//! disk: one `drive log` 287 → 264 faults, about 0.2 ms (issue 5).
//!
//! The script only adds an output section before `.text` (`INSERT BEFORE`),
//! which lld (Rust's default linker on x86-64 Linux) and GNU ld read; a
//! pattern that matches nothing costs nothing. mold refuses linker scripts
//! with SECTIONS and gold refuses INSERT, so a build that names either links
//! as before, and `BLOODLEDGER_HOT_TEXT=0` does the same for any other.
//! Only the program gets the script, not the test binaries.

fn main() {
    println!("cargo:rerun-if-changed=src/hot-text.ld");
    println!("cargo:rerun-if-env-changed=BLOODLEDGER_HOT_TEXT");
    let var = |key: &str| std::env::var(key).unwrap_or_default();
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let reads_the_script = !names_gold_or_mold(&var("CARGO_ENCODED_RUSTFLAGS"), &var("RUSTC_LINKER"));
    // tests/cli/test_build.rs checks the layout wherever the script is given.
    println!("cargo:rustc-check-cfg=cfg(hot_text)");
    if linux_gnu && reads_the_script && var("BLOODLEDGER_HOT_TEXT") != "0" {
        println!("cargo:rustc-cfg=hot_text");
        let script = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("src/hot-text.ld");
        // Two arguments, so that no character of the path is the driver's to split on.
        println!("cargo:rustc-link-arg-bins=-T");
        println!("cargo:rustc-link-arg-bins={}", script.display());
    }
}

/// Whether the rustflags (`-C link-arg=-fuse-ld=gold`, `-C linker=…/mold`)
/// or cargo's configured linker name gold or mold: by the linker's file
/// name or `-fuse-ld`'s value, not any flag that happens to contain the word.
fn names_gold_or_mold(encoded_rustflags: &str, linker: &str) -> bool {
    let refuses = |name: &str| {
        let name = name.rsplit('/').next().unwrap_or(name);
        ["gold", "mold", "ld.gold", "ld.mold"].contains(&name)
    };
    let mut linkers = encoded_rustflags.split('\x1f').filter_map(|flag| {
        let flag = flag.trim_start_matches("-C").trim_start_matches("link-arg=");
        flag.strip_prefix("-fuse-ld=").or_else(|| flag.strip_prefix("linker="))
    });
    refuses(linker) || linkers.any(refuses)
}
