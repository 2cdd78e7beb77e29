//! A plan: what one user's migration writes, skips and deliberately leaves alone, each
//! with the rules behind it, and the Entra state expected afterwards (rule C4).
//!
//! Plans are data: the engine applies them, the TUI and CLI show them, `plan --out`
//! saves them. They never hold a secret: a token is named by its serial and the engine
//! takes the secret from the data set when it writes.

use serde::{Deserialize, Serialize};

use super::entra::{MethodSet, PhoneSlot, PreferredMethod};
use super::rules::Rule;
use crate::datafile::{HashFunction, TimeStep, UserIdx};
use crate::phone::PhoneNumber;

/// Where the engine finds a hardware token's secret at apply time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SecretSource {
    /// A hardware token of the MFA Server user (snapshot or seed file).
    Token { serial: String },
    /// A mobile app device's OATH secret (`mobile_app = oath-as-hardware-token`).
    Device { name: String },
}

/// One Graph write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Action {
    /// POST phoneMethods.
    AddPhone {
        slot: PhoneSlot,
        number: PhoneNumber,
    },
    /// PATCH phoneMethods/{fixed id}: `from` is what Entra showed.
    UpdatePhone {
        slot: PhoneSlot,
        from: String,
        to: PhoneNumber,
    },
    /// POST hardwareOathDevices with the secret (skipped at apply time when a device with
    /// this serial already exists unassigned: the reconcile of an earlier attempt).
    CreateHardwareToken {
        serial: String,
        manufacturer: String,
        model: String,
        time_step: TimeStep,
        hash: HashFunction,
        source: SecretSource,
    },
    /// POST hardwareOathMethods/assignAndActivate with the current TOTP code, or a plain
    /// assignment for HOTP (`activate: false`).
    AssignHardwareToken {
        serial: String,
        activate: bool,
        display_name: String,
        source: SecretSource,
    },
    /// PATCH signInPreferences.
    SetDefaultMethod {
        method: PreferredMethod,
        from: Option<String>,
    },
}

impl Action {
    /// Position in rule C3's write order.
    pub fn order(&self) -> u8 {
        match self {
            Action::AddPhone {
                slot: PhoneSlot::Mobile,
                ..
            }
            | Action::UpdatePhone {
                slot: PhoneSlot::Mobile,
                ..
            } => 0,
            Action::AddPhone { .. } | Action::UpdatePhone { .. } => 1,
            Action::CreateHardwareToken { .. } => 2,
            Action::AssignHardwareToken { .. } => 3,
            Action::SetDefaultMethod { .. } => 4,
        }
    }
}

/// An operation: one write and every rule that shaped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    #[serde(flatten)]
    pub action: Action,
    pub rules: Vec<Rule>,
}

/// What a skip or note is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum Subject {
    User,
    Phone,
    BackupPhone,
    Device { name: String },
    Token { serial: String },
    DefaultMethod,
}

/// Something the plan does not migrate, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    #[serde(flatten)]
    pub subject: Subject,
    pub rule: Rule,
    pub reason: String,
}

/// What a [`Note`] records, so that reports and the TUI need not parse its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// P4: the slot already holds the number.
    SameNumber,
    /// H1 / A3: Entra already has the token or the Authenticator registration.
    Present,
    /// B4: the backup phone goes to (or already is) `mobile`.
    BackupBecameMobile,
    /// A3: Graph cannot create the app registration; the user must re-register the app.
    MustReregister,
    /// A hardware token that is (or will be) assigned but not activated (HOTP, or an
    /// earlier activation that did not complete).
    NotActivated,
    /// H1: an unassigned device with this serial is already in the tenant: assigned
    /// without creating it again.
    ReusesInventory,
    /// D2: the default method is left as Entra has it.
    DefaultKept,
    /// D3: the wanted default is not usable; the most secure usable method is used instead.
    DefaultFellBack,
    /// D1: the MFA Server default is unknown or empty, so nothing maps to Entra.
    DefaultNotMapped,
    /// Entra's system-preferred MFA is on: the user's preferred method is mostly ignored.
    SystemPreferred,
    /// D3: the method is off in the methods policy but the policy migration is not
    /// complete, so the legacy MFA or SSPR policy (which Graph does not show) may allow it.
    LegacyPolicy,
    /// D3: office phones are not allowed (Voice `isOfficePhoneAllowed` is false): the
    /// office number is stored but cannot be used.
    OfficePhoneNotAllowed,
}

/// A deliberate non-write or adjustment: P4 "same number", D2 "default already set",
/// D3 "fell back to …", A3 "must re-register the app", H1 "present", B4 "backup became
/// mobile".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    #[serde(flatten)]
    pub subject: Subject,
    pub rule: Rule,
    pub kind: NoteKind,
    pub text: String,
}

/// What a phone slot should hold after the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "expect", content = "number", rename_all = "snake_case")]
pub enum ExpectSlot {
    /// The plan does not touch the slot: whatever is there may stay.
    Untouched,
    Number(PhoneNumber),
}

/// The expected hardware token after the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectToken {
    pub serial: String,
    /// Activated (TOTP) or only assigned (HOTP).
    pub activated: bool,
}

/// The Entra state the plan leads to; read-back is compared with it (rule C4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub mobile: ExpectSlot,
    pub alternate_mobile: ExpectSlot,
    pub office: ExpectSlot,
    pub tokens: Vec<ExpectToken>,
    /// The default method, when the plan sets it or relies on it.
    pub default: Option<PreferredMethod>,
}

impl Expected {
    pub fn slot(&self, slot: PhoneSlot) -> ExpectSlot {
        match slot {
            PhoneSlot::Mobile => self.mobile,
            PhoneSlot::AlternateMobile => self.alternate_mobile,
            PhoneSlot::Office => self.office,
        }
    }
}

/// Who the plan is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanUser {
    pub entra_id: String,
    pub upn: String,
    pub mfa_user: UserIdx,
    pub mfa_username: String,
    /// M1, M2 or M3.
    pub matched_by: Rule,
}

/// One user's plan. `ops` are in rule C3's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub user: PlanUser,
    pub ops: Vec<Op>,
    pub skips: Vec<Skip>,
    pub notes: Vec<Note>,
    pub expected: Expected,
    /// The methods the user can use in Entra after the plan (rule D3: enabled by the
    /// methods policy and registered). Empty means a user sent to Entra MFA would have to
    /// register first.
    pub usable: MethodSet,
    /// Methods registered after the plan that the methods policy leaves off while the
    /// policy migration is not complete: the legacy MFA or SSPR policy may allow them
    /// (Graph does not show those policies). Not counted in `usable`.
    #[serde(default)]
    pub usable_via_legacy: MethodSet,
}

impl Plan {
    pub fn is_noop(&self) -> bool {
        self.ops.is_empty()
    }

    /// The user must re-register the mobile app (an A3 "must re-register" note).
    pub fn must_reregister_app(&self) -> bool {
        self.notes
            .iter()
            .any(|n| n.kind == NoteKind::MustReregister)
    }

    /// Whether the user has at least one usable Entra method after the plan.
    pub fn has_usable_method(&self) -> bool {
        !self.usable.is_empty()
    }

    /// No method is surely usable after the plan, but some may be through the legacy
    /// MFA or SSPR policy.
    pub fn usable_only_via_legacy(&self) -> bool {
        self.usable.is_empty() && !self.usable_via_legacy.is_empty()
    }
}

/// Why a whole Entra member gets no plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UserSkip {
    /// No MFA Server user matches (M1–M3).
    NotInMfaServer,
    /// Two or more MFA Server users match one Entra user (or share a username): none migrated.
    Conflict { mfa_users: Vec<UserIdx> },
    /// Rule M4.
    DisabledInMfaServer { mfa_user: UserIdx },
    /// Rule C1: fingerprint unchanged since the last successful migration.
    Unchanged { mfa_user: UserIdx },
}

impl UserSkip {
    pub fn rule(&self) -> Rule {
        match self {
            UserSkip::NotInMfaServer | UserSkip::Conflict { .. } => Rule::M1,
            UserSkip::DisabledInMfaServer { .. } => Rule::M4,
            UserSkip::Unchanged { .. } => Rule::C1,
        }
    }
}
