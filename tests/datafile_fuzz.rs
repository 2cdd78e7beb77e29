//! Bad input never panics: arbitrary text as CSV, and damaged copies of a real snapshot,
//! either load or are refused with a file problem.

use std::sync::OnceLock;

use mfa_cutover::datafile::load;
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use proptest::prelude::*;

/// A small real snapshot, written once.
fn snapshot() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.pfdata");
        write_snapshot(&Population::new(9, 60), &path, &WriteOptions::default()).expect("snapshot");
        std::fs::read(&path).expect("read")
    })
}

/// CSV-ish text: header names the readers know, separators, quotes, odd bytes.
fn csvish() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        Just("Username".to_string()),
        Just("Primary Phone".to_string()),
        Just("Primary Country Code".to_string()),
        Just("serial number".to_string()),
        Just("secret key".to_string()),
        Just("user_id".to_string()),
        "[0-9+() .x-]{0,16}",
        "\\PC{0,12}",
        Just("\"".to_string()),
    ];
    let sep = prop_oneof![Just(","), Just(";"), Just("\t"), Just("\r\n"), Just("\n")];
    prop::collection::vec((cell, sep), 1..60).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(c, s)| format!("{c}{s}"))
            .collect::<String>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_text_loads_or_is_refused(text in csvish(), bom in any::<bool>()) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("input.csv");
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(text.as_bytes());
        std::fs::write(&path, bytes).expect("write");
        let _ = load(&[path], None);
    }

    #[test]
    fn damaged_snapshots_load_or_are_refused(
        hits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..24),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = snapshot().to_vec();
        for (at, value) in hits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("damaged.pfdata");
        std::fs::write(&path, bytes).expect("write");
        let _ = load(&[path], None);
    }
}
