//! Deterministic sample data: the same seed and size give the same organisation.

pub mod population;

pub use population::{
    DOMAIN, EntraSeed, MfaIdentity, MfaRecord, NETBIOS, Person, Population, Presence, SampleDevice,
    SampleToken,
};
