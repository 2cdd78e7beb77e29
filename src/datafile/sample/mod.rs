//! Deterministic sample data: the same seed and size give the same organisation.

pub mod population;
pub mod writer;

pub use population::{
    DOMAIN, EntraSeed, MfaIdentity, MfaRecord, NETBIOS, Person, Population, Presence, SampleDevice,
    SampleService, SampleToken,
};
pub use writer::{
    WriteError, WriteOptions, Written, write_export_csv, write_snapshot, write_snapshot_folder,
};
