//! How the program is linked (issue 5).

/// build.rs has the linker put the functions everyday commands run ahead of
/// the rest of the code (src/hot-text.ld). This fails when the script no
/// longer reaches the linker, or when its patterns stop matching this
/// build's symbols (a new symbol mangling, say): then run
/// `bash benches/hot_text.sh` again.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_endian = "little",
    target_pointer_width = "64"
))]
#[test]
fn everyday_code_is_linked_together() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_bloodledger")).expect("read the binary");
    let elf = Elf::parse(&elf);
    let hot = elf.section(".text.hot").expect("a .text.hot section");
    let section_of = |part: &str| {
        let found: Vec<_> = elf.symbols().filter(|(name, _)| name.contains(part)).collect();
        assert!(!found.is_empty(), "no symbol {part}");
        found.iter().any(|&(_, section)| section == hot)
    };
    for hot_function in [
        "sqlite3RunParser",                    // SQLite, by its name
        "_int_malloc",                         // glibc, by its archive member
        "6Parser16get_matches_with",           // clap, hash left out
        "11bloodledger8commands5drive3log17h", // ours, hash left out
        "_RNvMs16_NtCs",                       // std (v0 mangling), crate id left out
    ] {
        assert!(section_of(hot_function), "{hot_function} is not with the hot code");
    }
    // Not everything: what no everyday command runs stays where it was.
    assert!(
        !section_of("11bloodledger8commands5check3run17h"),
        "`check` is with the hot code"
    );
}

/// Just enough of a little-endian ELF64 file: section names and the
/// section each symbol is in.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_endian = "little",
    target_pointer_width = "64"
))]
struct Elf<'a> {
    bytes: &'a [u8],
    /// (name, type, file offset, size, linked section) of each section.
    sections: Vec<(String, u32, usize, usize, usize)>,
}

#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_endian = "little",
    target_pointer_width = "64"
))]
impl<'a> Elf<'a> {
    fn parse(bytes: &'a [u8]) -> Self {
        assert_eq!(&bytes[..6], b"\x7fELF\x02\x01", "a little-endian ELF64 file");
        let at = |offset: usize, width: usize| {
            let mut value = [0u8; 8];
            value[..width].copy_from_slice(&bytes[offset..offset + width]);
            u64::from_le_bytes(value) as usize
        };
        let (table, entry, count, names) = (at(0x28, 8), at(0x3a, 2), at(0x3c, 2), at(0x3e, 2));
        let raw: Vec<_> = (0..count)
            .map(|i| {
                let h = table + i * entry;
                (
                    at(h, 4),
                    at(h + 4, 4) as u32,
                    at(h + 0x18, 8),
                    at(h + 0x20, 8),
                    at(h + 0x28, 4),
                )
            })
            .collect();
        let sections = raw
            .iter()
            .map(|&(name, kind, offset, size, link)| {
                (Self::string(bytes, raw[names].2 + name), kind, offset, size, link)
            })
            .collect();
        Elf { bytes, sections }
    }

    fn string(bytes: &[u8], from: usize) -> String {
        let end = bytes[from..].iter().position(|&b| b == 0).expect("NUL") + from;
        String::from_utf8_lossy(&bytes[from..end]).into_owned()
    }

    fn section(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.0 == name)
    }

    /// Every symbol's name and section index (from `.symtab`, type 2).
    fn symbols(&self) -> impl Iterator<Item = (String, usize)> + '_ {
        let &(_, _, offset, size, link) = self.sections.iter().find(|s| s.1 == 2).expect("a symbol table");
        let strings = self.sections[link].2;
        (offset..offset + size).step_by(24).map(move |s| {
            let name = u32::from_le_bytes(self.bytes[s..s + 4].try_into().expect("4 bytes"));
            let section = u16::from_le_bytes(self.bytes[s + 6..s + 8].try_into().expect("2 bytes"));
            (Self::string(self.bytes, strings + name as usize), usize::from(section))
        })
    }
}
