//! Bad exports never panic: mutated copies of the demo's AD FS and NPS exports either
//! read (and then classify, export and explain) or are refused with an error naming the
//! file; and the claim rule reader keeps every character of what it was given.

use std::sync::OnceLock;

use mfa_cutover::datafile::sample::Population;
use mfa_cutover::inventory::claims::RuleSet;
use mfa_cutover::inventory::sample::exports;
use mfa_cutover::inventory::{Exports, Hint, Input, Inventory, Options, Subject};
use proptest::prelude::*;

fn files() -> &'static [(&'static str, Vec<u8>)] {
    static FILES: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| exports(&Population::new(3, 0)))
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, String),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just("\"".to_string()),
                Just("null".to_string()),
                Just("[".to_string()),
                Just("}".to_string()),
                Just("\"System.Object[]\"".to_string()),
                Just("/Date(".to_string()),
                Just("=>".to_string()),
                Just("<x>".to_string()),
                Just("</Properties>".to_string()),
                "\\PC{0,8}",
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(bytes: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for m in muts {
        let len = b.len().max(1);
        match m {
            Mutation::Truncate(i) => b.truncate(i % len),
            Mutation::Flip(i, x) => {
                if let Some(c) = b.get_mut(i % len) {
                    *c ^= *x;
                }
            }
            Mutation::Insert(i, s) => {
                let at = (i % len).min(b.len());
                b.splice(at..at, s.bytes());
            }
            Mutation::Delete(i, n) => {
                let at = (i % len).min(b.len());
                let end = (at + n).min(b.len());
                b.drain(at..end);
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn mutated_exports_read_or_are_refused_never_panic(
        which in 0usize..8,
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = files();
        let (name, bytes) = &files[which % files.len()];
        let mutated = apply(bytes, &muts);
        let mut e = Exports::default();
        // The other files as they are, so classification sees a whole farm.
        for (n, b) in files.iter().filter(|(n, _)| n != name) {
            let hint = if n.starts_with("nps") { Hint::Nps } else { Hint::Adfs };
            prop_assert!(e.read_export(n, b, hint).is_ok());
        }
        match e.read_export(name, &mutated, Hint::Adfs) {
            Err(err) => {
                prop_assert_eq!(&err.file, name);
                prop_assert!(!err.expected.is_empty());
                prop_assert!(err.to_string().contains("expected"));
            }
            Ok(_) => {
                let inv = Inventory::build(&Input {
                    services: None,
                    settings: None,
                    servers: None,
                    exports: &e,
                    options: Options { group_routing_planned: true },
                });
                prop_assert!(inv.to_csv().is_ok());
                let _ = inv.to_markdown();
                let _ = inv.render_text();
                let _ = inv.keeps_users_on_mfa_server();
                let names: Vec<String> = e.relying_parties.iter().map(|r| r.value.name.clone()).collect();
                for n in names {
                    let chain = inv.why(&n, &Subject { sids: Some(vec!["S-1-5-21-1-2-3-3101".into()]) });
                    prop_assert!(chain.is_ok());
                    if let Ok(c) = chain {
                        let _ = c.render_text();
                    }
                }
            }
        }
    }

    #[test]
    fn the_rule_reader_keeps_every_character(text in "(c:\\[|\\]|Type|Value|==|=~|&&|=>|issue\\(|add\\(|\\)|;|\"[a-z:/.]{0,8}\"|,| |\n|NOT EXISTS\\(|@RuleName = |=|x|\\$){0,40}") {
        let set = RuleSet::parse(&text);
        let kept: usize = set.rules.iter().map(|r| r.text.chars().filter(|c| !c.is_whitespace()).count()).sum();
        let given = text.chars().filter(|c| !c.is_whitespace()).count();
        prop_assert_eq!(kept, given, "{:#?}", set);
        for (_, e) in set.unparsed() {
            prop_assert!(e.line >= 1 && e.column >= 1);
            prop_assert!(!e.expected.is_empty());
        }
    }
}
