//! Rules H1–H3 and L1: hardware OATH tokens, and mobile app devices imported as hardware
//! tokens (`mobile_app = oath-as-hardware-token`).
//!
//! Order of claims on the five-device limit (L1): the user's real hardware tokens first,
//! in stored order (MFA Server's utility keeps a slot for them: A2's "4 with a hardware
//! token"), then imported app devices, newest first. The count starts from what Entra
//! already has (Authenticator registrations, software and hardware OATH).
//!
//! An imported app device needs a serial number, and serials are unique in the tenant. It
//! gets [`device_serial`]: `MFAS-` and 16 hex digits of SHA-256 over the Entra object id
//! and the device name (trimmed, lower-cased). The same user and device give the same
//! serial on every run, so a re-run finds it present (H1) instead of importing it twice.

use sha2::{Digest, Sha256};

use super::devices::{device_subject, must_reregister};
use super::entra::{DeviceOwner, EntraHardwareToken, HardwareStatus, InventoryDevice};
use super::plan::{Action, ExpectToken, NoteKind, SecretSource, Subject};
use super::planner::{Draft, PlanInput};
use super::rules::Rule;
use crate::datafile::{Device, HashFunction, Known, OathKind, TimeStep};

/// Entra's per-user device limit (L1).
pub const DEVICE_LIMIT: usize = 5;

/// What the token rules leave behind for the default-method rules.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TokenOutcome {
    /// A hardware token is activated after the plan (present and activated, or planned
    /// with activation): it counts as `oath` (D3). An assigned-only token does not.
    pub activated_hardware: bool,
}

/// The stable serial number a mobile app device gets when imported as a hardware token.
pub fn device_serial(entra_id: &str, device_name: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"mfa-cutover app-device serial v1\0");
    h.update(entra_id.trim().to_lowercase().as_bytes());
    h.update([0]);
    h.update(device_name.trim().to_lowercase().as_bytes());
    let digest = h.finalize();
    let hex = data_encoding::HEXUPPER.encode(&digest[..8]);
    format!("MFAS-{hex}")
}

/// A token to place: a real hardware token or an app device being imported.
struct Candidate<'a> {
    serial: String,
    kind: OathKind,
    time_step: TimeStep,
    hash: HashFunction,
    manufacturer: &'a str,
    model: &'a str,
    has_secret: bool,
    /// The app device this candidate comes from, if any.
    device: Option<&'a str>,
    display_name: String,
}

impl Candidate<'_> {
    fn subject(&self) -> Subject {
        match self.device {
            Some(name) => device_subject(name),
            None => Subject::Token {
                serial: self.serial.clone(),
            },
        }
    }

    fn source(&self) -> SecretSource {
        match self.device {
            Some(name) => SecretSource::Device {
                name: name.to_string(),
            },
            None => SecretSource::Token {
                serial: self.serial.clone(),
            },
        }
    }

    /// Rules behind this candidate's writes.
    fn rules(&self, reuse: bool) -> Vec<Rule> {
        let mut r = Vec::with_capacity(3);
        if self.device.is_some() {
            r.push(Rule::A3);
        }
        if reuse {
            r.push(Rule::H1);
        }
        r.push(Rule::H2);
        r
    }
}

fn find_method<'m>(
    tokens: &'m [EntraHardwareToken],
    serial: &str,
) -> Option<&'m EntraHardwareToken> {
    tokens.iter().find(|t| {
        t.serial
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial))
    })
}

fn find_inventory<'m>(inv: &'m [InventoryDevice], serial: &str) -> Option<&'m InventoryDevice> {
    inv.iter()
        .find(|t| t.serial.trim().eq_ignore_ascii_case(serial))
}

fn status_name(s: HardwareStatus) -> &'static str {
    match s {
        HardwareStatus::Available => "available",
        HardwareStatus::Assigned => "assigned",
        HardwareStatus::Activated => "activated",
        HardwareStatus::FailedActivation => "failedActivation",
        HardwareStatus::Unknown => "unknown",
    }
}

pub(super) fn plan(input: &PlanInput<'_>, convert: &[Device<'_>], d: &mut Draft) -> TokenOutcome {
    let mut out = TokenOutcome {
        activated_hardware: input
            .methods
            .hardware_oath
            .iter()
            .any(|t| t.status == HardwareStatus::Activated),
    };
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    if let Known::Known(tokens) = input.user.tokens() {
        for t in tokens {
            let manufacturer = t.manufacturer().unwrap_or("Unknown");
            let serial = t.serial().trim().to_string();
            candidates.push(Candidate {
                display_name: format!("{manufacturer} {serial}"),
                serial,
                kind: t.kind(),
                time_step: t.time_step(),
                hash: t.hash(),
                manufacturer,
                model: t.model().unwrap_or("Unknown"),
                has_secret: t.secret().is_some(),
                device: None,
            });
        }
    }
    for dev in convert {
        // MFA Server's app codes are TOTP, 30 s, HMAC-SHA1 (RFC 6238 defaults).
        candidates.push(Candidate {
            serial: device_serial(&input.entra.id, dev.name()),
            kind: OathKind::Totp,
            time_step: TimeStep::S30,
            hash: HashFunction::HmacSha1,
            manufacturer: "MFA Server",
            model: "Mobile app",
            has_secret: dev.oath_secret().is_some(),
            device: Some(dev.name()),
            display_name: dev.name().trim().to_string(),
        });
    }
    if candidates.is_empty() {
        return out;
    }

    let mut count = input.methods.device_count();
    let mut seen: Vec<&str> = Vec::with_capacity(candidates.len());
    for c in &candidates {
        // Serials are unique in the tenant: a serial listed twice is placed once.
        if !c.serial.is_empty() && seen.iter().any(|s| s.eq_ignore_ascii_case(&c.serial)) {
            d.skip(
                c.subject(),
                Rule::H1,
                format!("serial {} is listed more than once for this user", c.serial),
            );
            continue;
        }
        seen.push(&c.serial);
        let placed = place(input, c, &mut count, &mut out, d);
        // An imported device gives codes, never push: either way the user should
        // re-register the app; the note says how much still works meanwhile.
        if let Some(name) = c.device {
            let text = if placed {
                format!(
                    "codes imported as hardware OATH token {}: they keep working; push \
                     notifications need the app re-registered",
                    c.serial
                )
            } else {
                "its codes could not be imported as a hardware token (see the skip): the user \
                 must re-register the app"
                    .to_string()
            };
            must_reregister(d, name, &text);
        }
    }
    out
}

/// Decide one candidate; true when it is (or will be) in Entra.
fn place(
    input: &PlanInput<'_>,
    c: &Candidate<'_>,
    count: &mut usize,
    out: &mut TokenOutcome,
    d: &mut Draft,
) -> bool {
    let serial = c.serial.as_str();
    if serial.is_empty() {
        d.skip(c.subject(), Rule::H2, "the token has no serial number");
        return false;
    }
    if !input.settings.hardware_oath_available {
        d.skip(
            c.subject(),
            Rule::H3,
            "hardware OATH tokens exist in Entra's global cloud only; this tenant's cloud \
             has no hardware OATH API",
        );
        return false;
    }

    // H1: the user already has it.
    let mine = find_method(&input.methods.hardware_oath, serial)
        .map(|t| t.status)
        .or_else(|| {
            find_inventory(input.inventory, serial)
                .filter(|dev| {
                    dev.assigned_to()
                        .is_some_and(|id| id.eq_ignore_ascii_case(&input.entra.id))
                })
                .map(|dev| dev.status)
        });
    if let Some(status) = mine {
        let activated = status == HardwareStatus::Activated;
        d.note(
            c.subject(),
            Rule::H1,
            NoteKind::Present,
            format!("serial {serial} is already assigned to this user in Entra"),
        );
        if !activated {
            d.note(
                c.subject(),
                Rule::H1,
                NoteKind::NotActivated,
                format!(
                    "serial {serial} is assigned but not activated (status {}): the user \
                     activates it in My Security Info",
                    status_name(status)
                ),
            );
        }
        d.expected.tokens.push(ExpectToken {
            serial: serial.to_string(),
            activated,
        });
        out.activated_hardware |= activated;
        return true;
    }

    let inventory = find_inventory(input.inventory, serial);
    match inventory.map(|dev| &dev.owner) {
        Some(DeviceOwner::User(other)) => {
            d.skip(
                c.subject(),
                Rule::H1,
                format!("serial {serial} is assigned to another user ({other})"),
            );
            return false;
        }
        Some(DeviceOwner::NotVisible) => {
            d.skip(
                c.subject(),
                Rule::H1,
                format!(
                    "serial {serial} already exists in the tenant but is not this user's: the \
                     inventory search does not list it (a token uploaded through the legacy \
                     CSV is listed only under its user), so another user holds it"
                ),
            );
            return false;
        }
        Some(DeviceOwner::Unassigned) | None => {}
    }
    let reuse = inventory.is_some();

    if !c.has_secret {
        d.skip(
            c.subject(),
            Rule::H2,
            format!(
                "no seed for serial {serial}: MFA Server cannot export token secrets; supply \
                 the vendor's seed file"
            ),
        );
        return false;
    }

    if *count >= DEVICE_LIMIT {
        d.skip(
            c.subject(),
            Rule::L1,
            format!(
                "five-device limit: Entra would already hold {count} devices (Authenticator \
                 registrations and OATH tokens, this plan's additions included)"
            ),
        );
        return false;
    }
    *count += 1;

    let rules = c.rules(reuse);
    if reuse {
        d.note(
            c.subject(),
            Rule::H1,
            NoteKind::ReusesInventory,
            format!(
                "serial {serial} is already in the tenant's inventory, unassigned: it is \
                 assigned without being created again"
            ),
        );
    } else {
        d.op(
            Action::CreateHardwareToken {
                serial: serial.to_string(),
                manufacturer: c.manufacturer.to_string(),
                model: c.model.to_string(),
                time_step: c.time_step,
                hash: c.hash,
                source: c.source(),
            },
            rules.clone(),
        );
    }
    let activate = c.kind == OathKind::Totp;
    d.op(
        Action::AssignHardwareToken {
            serial: serial.to_string(),
            activate,
            display_name: c.display_name.clone(),
            source: c.source(),
        },
        rules,
    );
    if activate {
        out.activated_hardware = true;
    } else {
        d.note(
            c.subject(),
            Rule::H2,
            NoteKind::NotActivated,
            format!(
                "HOTP token {serial}: assigned but not activated (Graph activates with a \
                 time-based code only); the user activates it in My Security Info"
            ),
        );
    }
    d.expected.tokens.push(ExpectToken {
        serial: serial.to_string(),
        activated: activate,
    });
    true
}
