//! The reference layout (datafile-reference.sql): its tables, their columns as the model
//! names them, and the names of the files the tool reads and writes. Readers map every
//! input onto these names; writers produce them.

/// The reference layout's DDL, version 1.
pub const REFERENCE_SQL: &str = include_str!("reference.sql");
/// `layout_info.layout` of a reference snapshot.
pub const LAYOUT_NAME: &str = "reference";
/// `layout_info.version` this build reads and writes.
pub const LAYOUT_VERSION: &str = "1";

/// The console's File → Export Users file name.
pub const EXPORT_USERS_FILE: &str = "Multi-Factor Authentication Users.csv";
/// The OATH seed file `sample-data --format export-csv` writes (Entra's upload format).
pub const SEED_FILE: &str = "hardware-oath-tokens.csv";
/// Entra's hardware OATH upload header.
pub const ENTRA_SEED_HEADER: [&str; 6] = [
    "upn",
    "serial number",
    "secret key",
    "time interval",
    "manufacturer",
    "model",
];

macro_rules! fields {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $col:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const COUNT: usize = Self::ALL.len();

            /// The column's name in the reference layout.
            pub fn column(self) -> &'static str {
                match self { $($name::$variant => $col),+ }
            }

            pub fn index(self) -> usize {
                self as usize
            }

            /// The field a reference column name stands for (case-insensitive).
            pub fn from_column(name: &str) -> Option<$name> {
                let name = name.trim();
                Self::ALL.iter().copied().find(|f| f.column().eq_ignore_ascii_case(name))
            }
        }

        impl Field for $name {
            const COUNT: usize = $name::COUNT;
            fn index(self) -> usize {
                self as usize
            }
            fn column(self) -> &'static str {
                $name::column(self)
            }
            fn all() -> &'static [Self] {
                Self::ALL
            }
        }
    };
}

/// The columns of one reference table, as an enum.
pub trait Field: Copy + Eq + std::fmt::Debug + 'static {
    const COUNT: usize;
    fn index(self) -> usize;
    fn column(self) -> &'static str;
    fn all() -> &'static [Self];
}

fields!(
    /// `users`.
    UserField {
        UserId = "user_id",
        Username = "username",
        Upn = "upn",
        Sid = "sid",
        Email = "email",
        AdAttributes = "ad_attributes",
        CountryCode = "country_code",
        Phone = "phone",
        Extension = "extension",
        BackupCountryCode = "backup_country_code",
        BackupPhone = "backup_phone",
        BackupExtension = "backup_extension",
        DefaultMethod = "default_method",
        PhoneCallMode = "phone_call_mode",
        TextMessageMode = "text_message_mode",
        MobileAppMode = "mobile_app_mode",
        Language = "language",
        Enabled = "enabled",
        ChangedAt = "changed_at",
    }
);

fields!(
    /// `mobile_app_devices`.
    DeviceField {
        DeviceId = "device_id",
        UserId = "user_id",
        DeviceName = "device_name",
        DeviceToken = "device_token",
        OathSecret = "oath_secret",
        ActivatedAt = "activated_at",
    }
);

fields!(
    /// `oath_tokens`.
    TokenField {
        TokenId = "token_id",
        UserId = "user_id",
        SerialNumber = "serial_number",
        Secret = "secret",
        SecretFormat = "secret_format",
        Manufacturer = "manufacturer",
        Model = "model",
        TokenType = "token_type",
        TimeStep = "time_step",
        HashFunction = "hash_function",
        AddedAt = "added_at",
    }
);

fields!(
    /// `auth_services`.
    ServiceField {
        ServiceId = "service_id",
        Kind = "kind",
        Name = "name",
        Address = "address",
        Detail = "detail",
        Enabled = "enabled",
    }
);

fields!(
    /// `settings`.
    SettingField {
        Section = "section",
        Key = "key",
        Value = "value",
    }
);

fields!(
    /// `servers`.
    ServerField {
        Name = "name",
        Role = "role",
        Version = "version",
        LastSeenAt = "last_seen_at",
    }
);

fields!(
    /// `layout_info`.
    LayoutField {
        Key = "key",
        Value = "value",
    }
);

/// The reference layout's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    LayoutInfo,
    Users,
    MobileAppDevices,
    OathTokens,
    AuthServices,
    Settings,
    Servers,
}

impl Table {
    pub const ALL: [Table; 7] = [
        Table::LayoutInfo,
        Table::Users,
        Table::MobileAppDevices,
        Table::OathTokens,
        Table::AuthServices,
        Table::Settings,
        Table::Servers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::LayoutInfo => "layout_info",
            Table::Users => "users",
            Table::MobileAppDevices => "mobile_app_devices",
            Table::OathTokens => "oath_tokens",
            Table::AuthServices => "auth_services",
            Table::Settings => "settings",
            Table::Servers => "servers",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        let name = name.trim();
        Table::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The table's reference column names, in DDL order.
    pub fn columns(self) -> Vec<&'static str> {
        fn names<F: Field>() -> Vec<&'static str> {
            F::all().iter().map(|f| f.column()).collect()
        }
        match self {
            Table::LayoutInfo => names::<LayoutField>(),
            Table::Users => names::<UserField>(),
            Table::MobileAppDevices => names::<DeviceField>(),
            Table::OathTokens => names::<TokenField>(),
            Table::AuthServices => names::<ServiceField>(),
            Table::Settings => names::<SettingField>(),
            Table::Servers => names::<ServerField>(),
        }
    }

    /// The file of this table in a snapshot folder.
    pub fn csv_file(self) -> String {
        format!("{}.csv", self.name())
    }
}

/// What MFA Server's console shows for each default method; the Export Users CSV reader
/// accepts these besides the reference names.
pub const METHOD_DISPLAY_NAMES: [(&str, crate::datafile::MfaMethod); 4] = [
    ("Phone Call", crate::datafile::MfaMethod::PhoneCall),
    ("Text Message", crate::datafile::MfaMethod::TextMessage),
    ("Mobile App", crate::datafile::MfaMethod::MobileApp),
    ("OATH Token", crate::datafile::MfaMethod::OathToken),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The enums name exactly the DDL's columns, in order.
    #[test]
    fn enums_match_the_reference_ddl() -> Result<(), rusqlite::Error> {
        let db = rusqlite::Connection::open_in_memory()?;
        db.execute_batch(REFERENCE_SQL)?;
        for table in Table::ALL {
            let mut stmt = db.prepare(&format!("PRAGMA table_info({})", table.name()))?;
            let cols: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(1))?
                .collect::<Result<_, _>>()?;
            assert_eq!(cols, table.columns(), "{}", table.name());
        }
        Ok(())
    }
}
