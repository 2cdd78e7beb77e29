//! Property tests for phone normalisation: the memo agrees with `phonenumber` itself,
//! formatting never changes a number, Graph's form round-trips, nothing panics.

use mfa_cutover::phone::PhoneNumber;
use proptest::prelude::*;

/// Calling codes of every country `phonenumber` knows.
fn calling_codes() -> Vec<u16> {
    let mut ccs: Vec<u16> = phonenumber::metadata::DATABASE
        .iter()
        .map(|m| m.country_code())
        .collect();
    ccs.sort_unstable();
    ccs.dedup();
    ccs
}

/// Digits joined with a separator pattern chosen by `style`.
fn typed(digits: &str, style: u8) -> String {
    match style % 6 {
        0 => digits.to_string(),
        1 => {
            let (a, b) = digits.split_at(digits.len().min(3));
            format!("({a}) {b}")
        }
        2 => digits
            .as_bytes()
            .chunks(3)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-"),
        3 => digits
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("."),
        4 => digits
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        _ => format!(" {digits} "),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Many numbers that share a shape (country, length, first digits), so the memo is
    /// used for all but the first: each equals what `phonenumber` alone gives.
    #[test]
    fn memo_agrees_with_phonenumber(
        cc_pick in any::<prop::sample::Index>(),
        head in "[0-9]{4}",
        tails in prop::collection::vec("[0-9]{2,10}", 12),
        plus in any::<bool>(),
        styles in prop::collection::vec(any::<u8>(), 12),
    ) {
        let ccs = calling_codes();
        let cc = ccs[cc_pick.index(ccs.len())];
        let width = tails[0].len();
        for (tail, style) in tails.iter().zip(&styles) {
            // Same length for every tail, so they share the memo key.
            let tail: String = tail.chars().cycle().take(width).collect();
            let digits = format!("{head}{tail}");
            let text = if plus {
                format!("+{cc} {}", typed(&digits, *style))
            } else {
                typed(&digits, *style)
            };
            let memo = PhoneNumber::normalise(&cc.to_string(), &text, None);
            let plain = PhoneNumber::normalise_uncached(&cc.to_string(), &text, None);
            prop_assert_eq!(memo.ok(), plain.ok(), "+{} {:?}", cc, text);
        }
    }

    /// Separators, parentheses and an `x123` suffix never change the number.
    #[test]
    fn formatting_does_not_change_the_number(
        cc in prop::sample::select(vec![1u16, 44, 49, 33, 39, 91, 81, 61, 34, 31]),
        digits in "[1-9][0-9]{8,10}",
        style in any::<u8>(),
        ext in proptest::option::of("[0-9]{1,6}"),
    ) {
        let plain = PhoneNumber::normalise_uncached(&cc.to_string(), &digits, ext.as_deref());
        let mut text = typed(&digits, style);
        if let Some(e) = &ext {
            text.push_str(&format!(" x{e}"));
        }
        let formatted = PhoneNumber::normalise(&cc.to_string(), &text, None);
        prop_assert_eq!(plain.ok(), formatted.ok(), "{:?}", text);
    }

    /// Whatever normalises prints in Graph's form and reads back the same.
    #[test]
    fn graph_form_round_trips(
        cc in prop::sample::select(vec![1u16, 44, 49, 33, 39, 91, 81, 86, 55, 7]),
        digits in "[0-9]{5,13}",
        ext in proptest::option::of("[0-9]{1,8}"),
    ) {
        if let Ok(p) = PhoneNumber::normalise(&cc.to_string(), &digits, ext.as_deref()) {
            let graph = p.graph();
            prop_assert!(graph.starts_with(&format!("+{cc} ")), "{}", graph);
            prop_assert_eq!(PhoneNumber::from_graph(&graph).ok(), Some(p));
            prop_assert_eq!(p.e164().len() <= 16, true);
        }
    }

    /// Any text at all: an error or a number, never a panic.
    #[test]
    fn never_panics(cc in ".{0,5}", number in ".{0,40}", ext in proptest::option::of(".{0,8}")) {
        let _ = PhoneNumber::normalise(&cc, &number, ext.as_deref());
        let _ = PhoneNumber::from_graph(&number);
    }
}
