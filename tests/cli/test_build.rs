//! How the program is linked (issue 5).

// The layout build.rs asks for: only where it gives the script (cfg set by
// build.rs), read from a little-endian ELF64 file.
#[cfg(all(hot_text, target_endian = "little", target_pointer_width = "64"))]
mod hot_text {
    /// build.rs has the linker put the functions everyday commands run ahead of
    /// the rest of the code (src/hot-text.ld). This fails when the script no
    /// longer reaches the linker, or when its patterns stop matching this
    /// build's symbols (a new symbol mangling, say): then run
    /// `bash benches/hot_text.sh` again. It reads the patterns from the script
    /// itself, so that no function's name is written down twice.
    #[test]
    fn everyday_code_is_linked_together() {
        let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/hot-text.ld"))
            .expect("read src/hot-text.ld");
        let bytes = std::fs::read(env!("CARGO_BIN_EXE_bloodledger")).expect("read the binary");
        let elf = Elf::parse(&bytes);
        let hot = elf
            .section(".text.hot")
            .expect("a .text.hot section: build.rs gave no script");
        let text = elf.section(".text").expect("a .text section");
        // Not everything: what no everyday command runs stays where it was.
        assert!(
            elf.sections[hot].3 < elf.sections[text].3,
            "most of the code is in .text.hot"
        );
        assert!(
            elf.sections[hot].2 < elf.sections[text].2,
            ".text.hot is not ahead of .text"
        );

        let hot_symbols: Vec<String> = elf
            .symbols()
            .filter(|&(_, section)| section == hot)
            .map(|(name, _)| name)
            .collect();
        // Each line names one function by patterns; the first is its own section.
        let patterns: Vec<&str> = script
            .lines()
            .filter_map(|line| line.trim().strip_prefix("*(.text."))
            .filter_map(|line| line.split(' ').next())
            .collect();
        // Whose function a pattern names (glibc's, libm's and libgcc's go
        // by archive member, not by these lines).
        let kind_of = |p: &str| match p {
            _ if p.starts_with("_ZN11bloodledger") => "bloodledger's functions",
            _ if p.starts_with("_ZN") => "other crates' functions",
            _ if p.starts_with("_R") => "std's functions (v0 mangling)",
            _ => "SQLite's functions",
        };
        // When this was written, 0.99–1.0 of each kind in a debug build and
        // 0.92–1.0 in a release build. A rename here and there lowers a share;
        // a new mangling or a stale script takes it near nothing.
        let mut shares: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
        for pattern in &patterns {
            let placed = hot_symbols.iter().any(|name| glob(pattern, name));
            let (hits, all) = shares.entry(kind_of(pattern)).or_default();
            *hits += usize::from(placed);
            *all += 1;
        }
        assert_eq!(shares.len(), 4, "a kind of function has no pattern: {shares:?}");
        for (kind, (hits, all)) in shares {
            let placed = hits as f64 / all as f64;
            assert!(placed >= 0.5, "only {placed:.2} of {kind} are in .text.hot");
        }
    }

    /// `*` in a linker script's section pattern: any run of characters.
    fn glob(pattern: &str, name: &str) -> bool {
        let mut parts = pattern.split('*');
        let first = parts.next().unwrap_or_default();
        let Some(mut rest) = name.strip_prefix(first) else {
            return false;
        };
        let parts: Vec<&str> = parts.collect();
        for (i, part) in parts.iter().enumerate() {
            if i + 1 == parts.len() {
                return rest.ends_with(part);
            }
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Just enough of a little-endian ELF64 file: section names and the
    /// section each symbol is in.
    struct Elf<'a> {
        bytes: &'a [u8],
        /// (name, type, file offset, size, linked section) of each section.
        sections: Vec<(String, u32, usize, usize, usize)>,
    }

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
}
