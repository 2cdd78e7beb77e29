//! Builders for the rule tables: an MFA Server user described in a few fields, put into a
//! real `DataSet` through `DataSetBuilder`, and planned against described Entra state.

use chrono::{DateTime, TimeZone, Utc};
use mfa_cutover::datafile::{
    DataSet, DataSetBuilder, HashFunction, Known, MfaMethod, NewDevice, NewToken, NewUser,
    OathKind, TimeStep, UserIdx,
};
use mfa_cutover::migrate::{
    AllowedMethods, DeviceOwner, EntraAuthenticator, EntraDefault, EntraHardwareToken,
    EntraMethods, EntraPhone, EntraUser, HardwareStatus, InventoryDevice, MigrationSettings,
    PhoneProblems, Plan, PlanInput, Rule, plan_lines, plan_user,
};
use mfa_cutover::phone::PhoneNumber;
use mfa_cutover::secret::OathSecret;

pub const ENTRA_ID: &str = "0f6a8d2e-1111-4a4a-9b9b-000000000001";
pub const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::from_graph(text).unwrap_or_else(|e| panic!("test phone {text}: {e}"))
}

pub fn at(day: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2024, 1, day, 12, 0, 0).single()
}

#[derive(Debug, Clone)]
pub struct Dev {
    pub name: &'static str,
    pub day: Option<u32>,
    pub secret: bool,
}

pub fn dev(name: &'static str, day: u32) -> Dev {
    Dev {
        name,
        day: Some(day),
        secret: true,
    }
}

#[derive(Debug, Clone)]
pub struct Tok {
    pub serial: &'static str,
    pub kind: OathKind,
    pub secret: bool,
}

pub fn totp(serial: &'static str) -> Tok {
    Tok {
        serial,
        kind: OathKind::Totp,
        secret: true,
    }
}

/// An MFA Server user. Phones are Graph-format text; `None` fields are empty, `Unknown`
/// ones are not carried by the input.
#[derive(Debug, Clone)]
pub struct Mfa {
    pub username: &'static str,
    pub upn: Option<&'static str>,
    pub phone: Known<Option<&'static str>>,
    pub backup: Known<Option<&'static str>>,
    pub default: Known<Option<MfaMethod>>,
    pub enabled: Known<bool>,
    pub devices: Option<Vec<Dev>>,
    pub tokens: Option<Vec<Tok>>,
}

impl Default for Mfa {
    fn default() -> Self {
        Mfa {
            username: "CONTOSO\\ann",
            upn: Some("ann@contoso.com"),
            phone: Known::Known(None),
            backup: Known::Known(None),
            default: Known::Known(None),
            enabled: Known::Known(true),
            devices: Some(Vec::new()),
            tokens: Some(Vec::new()),
        }
    }
}

impl Mfa {
    pub fn phone(mut self, p: &'static str) -> Self {
        self.phone = Known::Known(Some(p));
        self
    }
    pub fn backup(mut self, p: &'static str) -> Self {
        self.backup = Known::Known(Some(p));
        self
    }
    pub fn method(mut self, m: MfaMethod) -> Self {
        self.default = Known::Known(Some(m));
        self
    }
    pub fn devices(mut self, d: Vec<Dev>) -> Self {
        self.devices = Some(d);
        self
    }
    pub fn tokens(mut self, t: Vec<Tok>) -> Self {
        self.tokens = Some(t);
        self
    }
}

fn known_phone(p: Known<Option<&str>>) -> Known<Option<PhoneNumber>> {
    p.map(|o| o.map(phone))
}

pub fn push_user(b: &mut DataSetBuilder, m: &Mfa) -> UserIdx {
    let idx = b.push_user(NewUser {
        username: m.username,
        upn: m.upn,
        phone: known_phone(m.phone),
        backup_phone: known_phone(m.backup),
        default_method: m.default,
        enabled: m.enabled,
        carries_devices: m.devices.is_some(),
        carries_tokens: m.tokens.is_some(),
        ..Default::default()
    });
    for d in m.devices.iter().flatten() {
        b.push_device(
            idx,
            NewDevice {
                name: d.name,
                activated_at: d.day.and_then(at),
                oath_secret: d
                    .secret
                    .then(|| OathSecret::from_base32(SECRET).expect("test secret")),
                has_push_token: true,
            },
        );
    }
    for t in m.tokens.iter().flatten() {
        b.push_token(
            idx,
            NewToken {
                serial: t.serial,
                manufacturer: Some("Contoso"),
                model: Some("C200"),
                secret: t
                    .secret
                    .then(|| OathSecret::from_base32(SECRET).expect("test secret")),
                kind: t.kind,
                time_step: TimeStep::S30,
                hash: HashFunction::HmacSha1,
                added_at: None,
            },
        );
    }
    idx
}

pub fn dataset(m: &Mfa) -> (DataSet, UserIdx) {
    let mut b = DataSetBuilder::with_capacity(1);
    let idx = push_user(&mut b, m);
    (b.finish(), idx)
}

pub fn entra_user() -> EntraUser {
    EntraUser {
        id: ENTRA_ID.into(),
        upn: "ann@contoso.com".into(),
        ..Default::default()
    }
}

/// Entra state.
#[derive(Debug, Clone, Default)]
pub struct Entra {
    pub methods: EntraMethods,
    pub inventory: Vec<InventoryDevice>,
}

impl Entra {
    pub fn mobile(mut self, p: &str) -> Self {
        self.methods.mobile = Some(EntraPhone::from_graph(p));
        self
    }
    pub fn alternate(mut self, p: &str) -> Self {
        self.methods.alternate_mobile = Some(EntraPhone::from_graph(p));
        self
    }
    pub fn office(mut self, p: &str) -> Self {
        self.methods.office = Some(EntraPhone::from_graph(p));
        self
    }
    pub fn authenticator(mut self, name: &str) -> Self {
        let n = self.methods.authenticators.len();
        self.methods.authenticators.push(EntraAuthenticator {
            id: format!("auth-{n}"),
            display_name: Some(name.into()),
        });
        self
    }
    pub fn software_oath(mut self) -> Self {
        let n = self.methods.software_oath.len();
        self.methods.software_oath.push(format!("soft-{n}"));
        self
    }
    pub fn hardware(mut self, serial: &str, status: HardwareStatus) -> Self {
        self.methods.hardware_oath.push(EntraHardwareToken {
            id: format!("hw-{serial}"),
            device_id: Some(format!("dev-{serial}")),
            serial: Some(serial.into()),
            status,
        });
        self
    }
    pub fn inventory(mut self, serial: &str, assigned_to: Option<&str>) -> Self {
        self.inventory.push(InventoryDevice {
            id: format!("dev-{serial}"),
            serial: serial.into(),
            owner: match assigned_to {
                Some(u) => DeviceOwner::User(u.into()),
                None => DeviceOwner::Unassigned,
            },
            status: if assigned_to.is_some() {
                HardwareStatus::Assigned
            } else {
                HardwareStatus::Available
            },
        });
        self
    }
    /// A serial Entra says exists that neither the inventory search nor the user's own
    /// tokens show (a legacy CSV upload of another user).
    pub fn not_visible(mut self, serial: &str) -> Self {
        self.inventory.push(InventoryDevice::not_visible(serial));
        self
    }
    pub fn preferred(mut self, d: EntraDefault) -> Self {
        self.methods.default = d;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub settings: MigrationSettings,
    pub allowed: AllowedMethods,
    pub problems: PhoneProblems<'static>,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            settings: MigrationSettings::default(),
            allowed: AllowedMethods::ALL,
            problems: PhoneProblems::default(),
        }
    }
}

pub fn plan(m: &Mfa, e: &Entra, run: &Run) -> Plan {
    let (data, idx) = dataset(m);
    let entra = entra_user();
    let user = data.user(idx).expect("user");
    plan_user(&PlanInput {
        user,
        matched_by: Rule::M1,
        entra: &entra,
        methods: &e.methods,
        inventory: &e.inventory,
        allowed: run.allowed,
        settings: &run.settings,
        phone_problems: run.problems,
    })
}

/// Every line of a plan, for exact comparison in the tables.
pub fn lines(p: &Plan) -> Vec<String> {
    plan_lines(p)
}
