//! Rules P1–P5 and B1–B4: where the MFA Server phone and backup phone go in Entra's three
//! phone slots, and whether each slot needs a write.
//!
//! Two decisions beyond the rule text:
//! - B3 skips the backup phone because both numbers would need the one `office` slot. When
//!   the phone went to `mobile` instead (P3: default text message, extension dropped),
//!   `office` is free and the backup phone takes it by B2 rather than being lost.
//! - A slot Entra shows masked (`+1 XXXXXXXX00`: the reader is an Authentication
//!   Administrator) cannot be compared with the MFA Server number, so it is never
//!   overwritten: the phone is skipped with a reason naming the role that sees numbers.
//!   The slot still holds a phone, so it counts as registered for rule D3.
//! - P6, **Graph limit**: Graph in the China cloud (21Vianet) has no phone update (the
//!   update page's national-cloud include is `global-us`): a slot that holds a different
//!   number is skipped, never overwritten by delete-and-add.

use super::entra::{EntraPhone, PhoneSlot};
use super::plan::{Action, ExpectSlot, NoteKind, Subject};
use super::planner::{Draft, PlanInput};
use super::rules::Rule;
use crate::datafile::{Known, MfaMethod};
use crate::phone::PhoneNumber;

/// What the phone rules leave behind for the default-method rules.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PhoneOutcome {
    /// The MFA Server phone went to `office` (P2): a phone-call default maps to
    /// `voiceOffice` (D1).
    pub phone_to_office: bool,
    /// Whether each slot holds a number after the plan (planned or already in Entra).
    pub mobile: bool,
    pub alternate_mobile: bool,
    pub office: bool,
}

#[derive(Debug, Clone, Copy)]
struct Target {
    number: PhoneNumber,
    subject: Who,
    /// The placement rules (P1/P2/P3/B1/B2/B4); P4 is added for an update.
    rules: [Option<Rule>; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Phone,
    Backup,
}

impl Who {
    fn subject(self) -> Subject {
        match self {
            Who::Phone => Subject::Phone,
            Who::Backup => Subject::BackupPhone,
        }
    }
}

fn slot_label(slot: PhoneSlot) -> &'static str {
    slot.graph_name()
}

fn index(slot: PhoneSlot) -> usize {
    match slot {
        PhoneSlot::Mobile => 0,
        PhoneSlot::AlternateMobile => 1,
        PhoneSlot::Office => 2,
    }
}

pub(super) fn plan(input: &PlanInput<'_>, d: &mut Draft) -> PhoneOutcome {
    let user = input.user;
    let methods = input.methods;
    let phone = user.phone().value();
    let backup = user.backup_phone().value();
    let text_default = user.default_method() == Known::Known(Some(MfaMethod::TextMessage));

    if phone.is_none()
        && let Some(reason) = input.phone_problems.phone
    {
        d.skip(
            Subject::Phone,
            Rule::P5,
            format!("the phone number could not be normalised: {reason}"),
        );
    }
    if backup.is_none()
        && let Some(reason) = input.phone_problems.backup_phone
    {
        d.skip(
            Subject::BackupPhone,
            Rule::P5,
            format!("the backup phone number could not be normalised: {reason}"),
        );
    }

    let mut targets: [Option<Target>; 3] = [None; 3];
    let mut out = PhoneOutcome::default();

    if let Some(p) = phone {
        if !p.has_extension() {
            targets[0] = Some(Target {
                number: p,
                subject: Who::Phone,
                rules: [Some(Rule::P1), None],
            });
        } else if text_default {
            targets[0] = Some(Target {
                number: p.without_extension(),
                subject: Who::Phone,
                rules: [Some(Rule::P3), None],
            });
        } else {
            targets[2] = Some(Target {
                number: p,
                subject: Who::Phone,
                rules: [Some(Rule::P2), None],
            });
            out.phone_to_office = true;
        }
    }

    if let Some(b) = backup {
        if b.has_extension() {
            if out.phone_to_office {
                d.skip(
                    Subject::BackupPhone,
                    Rule::B3,
                    format!(
                        "phone and backup phone both have an extension: office holds the phone, \
                         backup phone {b} is not migrated"
                    ),
                );
            } else {
                targets[2] = Some(Target {
                    number: b,
                    subject: Who::Backup,
                    rules: [Some(Rule::B2), None],
                });
            }
        } else if targets[0].is_none() {
            // B4: Entra refuses an alternateMobile without a mobile.
            match &methods.mobile {
                None => {
                    d.note(
                        Subject::BackupPhone,
                        Rule::B4,
                        NoteKind::BackupBecameMobile,
                        format!(
                            "no mobile phone in Entra or in the plan, and Entra refuses an \
                             alternateMobile without one: backup phone {b} becomes mobile"
                        ),
                    );
                    targets[0] = Some(Target {
                        number: b,
                        subject: Who::Backup,
                        rules: [Some(Rule::B1), Some(Rule::B4)],
                    });
                }
                Some(EntraPhone::Number(n)) if *n == b => {
                    // An earlier run applied B4: the backup phone already is the mobile.
                    // Adding it again as alternateMobile would duplicate the number.
                    d.note(
                        Subject::BackupPhone,
                        Rule::B4,
                        NoteKind::BackupBecameMobile,
                        format!("backup phone {b} is already Entra's mobile phone"),
                    );
                    d.expected.mobile = ExpectSlot::Number(b);
                    out.mobile = true;
                }
                Some(_) => {
                    targets[1] = Some(Target {
                        number: b,
                        subject: Who::Backup,
                        rules: [Some(Rule::B1), None],
                    });
                }
            }
        } else {
            targets[1] = Some(Target {
                number: b,
                subject: Who::Backup,
                rules: [Some(Rule::B1), None],
            });
        }
    }

    for slot in PhoneSlot::ALL {
        let Some(target) = targets[index(slot)] else {
            continue;
        };
        apply_p4(slot, target, input, d);
    }

    out.mobile |= targets[0].is_some() || methods.mobile.is_some();
    out.alternate_mobile = targets[1].is_some() || methods.alternate_mobile.is_some();
    out.office = targets[2].is_some() || methods.office.is_some();
    out
}

/// Rule P4: compare the target with what the slot holds.
fn apply_p4(slot: PhoneSlot, t: Target, input: &PlanInput<'_>, d: &mut Draft) {
    let placed: Vec<Rule> = t.rules.iter().flatten().copied().collect();
    let number = t.number;
    let expect = |d: &mut Draft| *expected_slot(d, slot) = ExpectSlot::Number(number);
    match input.methods.phone(slot) {
        None => {
            d.op(Action::AddPhone { slot, number }, placed);
            expect(d);
        }
        Some(EntraPhone::Number(current)) if *current == number => {
            d.note(
                t.subject.subject(),
                Rule::P4,
                NoteKind::SameNumber,
                format!("{} already holds {number}", slot_label(slot)),
            );
            expect(d);
        }
        Some(current @ (EntraPhone::Number(_) | EntraPhone::Unparsed(_)))
            if !input.settings.phone_update_available =>
        {
            d.skip(
                t.subject.subject(),
                Rule::P6,
                format!(
                    "{} holds {current}, not {number}, and Graph in the China cloud (21Vianet) \
                     cannot update a phone method: it is left as is; change it in the Entra \
                     admin centre",
                    slot_label(slot)
                ),
            );
        }
        Some(EntraPhone::Number(current)) => {
            let mut rules = placed;
            rules.push(Rule::P4);
            d.op(
                Action::UpdatePhone {
                    slot,
                    from: current.graph(),
                    to: number,
                },
                rules,
            );
            expect(d);
        }
        Some(EntraPhone::Unparsed(text)) => {
            // Graph showed text outside its own format; it is visible, so replacing it
            // with the normalised number is not blind.
            let mut rules = placed;
            rules.push(Rule::P4);
            d.op(
                Action::UpdatePhone {
                    slot,
                    from: text.clone(),
                    to: number,
                },
                rules,
            );
            expect(d);
        }
        Some(EntraPhone::Masked(text)) => {
            d.skip(
                t.subject.subject(),
                Rule::P4,
                format!(
                    "Entra shows the {} number masked ({text}), so it cannot be compared with \
                     {number}; it is left as is. Sign in as a Privileged Authentication \
                     Administrator (or use application permissions) to see full numbers",
                    slot_label(slot)
                ),
            );
        }
    }
}

fn expected_slot(d: &mut Draft, slot: PhoneSlot) -> &mut ExpectSlot {
    match slot {
        PhoneSlot::Mobile => &mut d.expected.mobile,
        PhoneSlot::AlternateMobile => &mut d.expected.alternate_mobile,
        PhoneSlot::Office => &mut d.expected.office,
    }
}
