//! A compact case-insensitive lookup from a text key to object numbers.
//!
//! A tenant of 100,000 users has five such lookups (UPN, SID, mail, employeeId,
//! sAMAccountName); keeping only a 64-bit hash per entry, and checking the stored field on
//! lookup, keeps them a few megabytes and fast to build. Keys need not be unique.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};

#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    map: HashMap<u64, Slot>,
}

#[derive(Debug)]
enum Slot {
    One(u32),
    Many(Vec<u32>),
}

/// Hash of the key, lower-cased (ASCII byte by byte, the rest char by char).
fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    if key.is_ascii() {
        let mut buf = [0u8; 64];
        for chunk in key.as_bytes().chunks(buf.len()) {
            let lower = &mut buf[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            h.write(lower);
        }
    } else {
        let mut enc = [0u8; 4];
        for c in key.chars().flat_map(char::to_lowercase) {
            h.write(c.encode_utf8(&mut enc).as_bytes());
        }
    }
    h.finish()
}

/// Case-insensitive equality, as the directory compares names.
pub(crate) fn ieq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!a.is_ascii() || !b.is_ascii())
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase))
}

impl KeyIndex {
    pub fn with_capacity(n: usize) -> KeyIndex {
        KeyIndex {
            map: HashMap::with_capacity(n),
        }
    }

    pub fn insert(&mut self, key: &str, idx: u32) {
        if key.is_empty() {
            return;
        }
        match self.map.entry(key_hash(key)) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Slot::One(idx));
            }
            std::collections::hash_map::Entry::Occupied(mut o) => match o.get_mut() {
                Slot::One(first) => {
                    let first = *first;
                    o.insert(Slot::Many(vec![first, idx]));
                }
                Slot::Many(v) => v.push(idx),
            },
        }
    }

    /// Numbers whose key may equal `key`: the caller checks the field itself.
    pub fn candidates(&self, key: &str) -> &[u32] {
        match self.map.get(&key_hash(key)) {
            None => &[],
            Some(Slot::One(i)) => std::slice::from_ref(i),
            Some(Slot::Many(v)) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_case_insensitively_and_keeps_duplicates() {
        let mut ix = KeyIndex::default();
        ix.insert("Ann@Contoso.com", 1);
        ix.insert("ann@contoso.com", 2);
        ix.insert("bob@contoso.com", 3);
        ix.insert("", 4);
        assert_eq!(ix.candidates("ANN@contoso.COM"), &[1, 2]);
        assert_eq!(ix.candidates("bob@contoso.com"), &[3]);
        assert!(ix.candidates("").is_empty());
        assert!(ix.candidates("carol@contoso.com").is_empty());
        assert!(ieq("Ünal@x", "ünal@X"));
        assert!(!ieq("a", "b"));
    }
}
