//! `Known<T>`: a field an input may not carry at all.
//!
//! An Export Users CSV without a method column does not say "no default method"; it says
//! nothing. Rules treat the two differently (D1), so the model keeps them apart.

use serde::{Serialize, Serializer};

/// A value that the input either carried (`Known`) or could not carry (`Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Known<T> {
    /// No input that was read carries this field.
    #[default]
    Unknown,
    /// The input carried the field; the value may itself be empty (`Known(None)`).
    Known(T),
}

impl<T> Known<T> {
    pub fn is_known(&self) -> bool {
        matches!(self, Known::Known(_))
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Known::Unknown)
    }

    /// The value when known.
    pub fn known(self) -> Option<T> {
        match self {
            Known::Known(v) => Some(v),
            Known::Unknown => None,
        }
    }

    pub fn as_ref(&self) -> Known<&T> {
        match self {
            Known::Known(v) => Known::Known(v),
            Known::Unknown => Known::Unknown,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Known<U> {
        match self {
            Known::Known(v) => Known::Known(f(v)),
            Known::Unknown => Known::Unknown,
        }
    }

    /// Keep `self` when known, else take `other` (merging inputs: the first that carries wins).
    pub fn or(self, other: Known<T>) -> Known<T> {
        match self {
            Known::Known(_) => self,
            Known::Unknown => other,
        }
    }
}

impl<T> Known<Option<T>> {
    /// The inner value when the field is known and set.
    pub fn value(self) -> Option<T> {
        self.known().flatten()
    }
}

/// Serialises as the value, or the string `"unknown"`.
impl<T: Serialize> Serialize for Known<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Known::Known(v) => v.serialize(s),
            Known::Unknown => s.serialize_str("unknown"),
        }
    }
}
