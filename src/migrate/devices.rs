//! Rules A1–A3: MFA Server mobile app devices.
//!
//! A1 keeps the newest activation per device name (names compared trimmed and
//! case-insensitively: MFA Server and Entra both show names people typed); A2 orders
//! newest first (a device without an activation time counts as oldest) and keeps five,
//! four when the user also has a hardware OATH token in MFA Server.
//!
//! A3, **Graph limit**: public Graph cannot create Microsoft Authenticator
//! registrations or software OATH tokens. A kept device that Entra already shows (an
//! Authenticator registration with the same display name) is present. Any other is, by
//! `mobile_app`: `report` → the user must re-register the app; `oath-as-hardware-token`
//! → a device with an OATH secret is handed to the token rules (H2) to be imported as a
//! hardware token, codes only.

use std::cmp::Reverse;

use super::plan::{NoteKind, Subject};
use super::planner::{Draft, PlanInput};
use super::rules::Rule;
use super::settings::MobileAppHandling;
use crate::datafile::{Device, Known};

/// Most devices MFA Server's utility migrates (A2); one fewer with a hardware token.
const MAX_DEVICES: usize = 5;

pub(super) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

/// Apply A1–A3; return the devices to import as hardware tokens (newest first).
pub(super) fn plan<'a>(input: &PlanInput<'a>, d: &mut Draft) -> Vec<Device<'a>> {
    let Known::Known(devices) = input.user.devices() else {
        return Vec::new();
    };
    if devices.len() == 0 {
        return Vec::new();
    }
    let mut devices: Vec<Device<'a>> = devices.collect();
    // A2 order; the sort is stable, so equal times keep the input's order.
    devices.sort_by_key(|dev| Reverse(dev.activated_at()));

    let has_token = input.user.token_count() > 0;
    let cap = if has_token {
        MAX_DEVICES - 1
    } else {
        MAX_DEVICES
    };
    let mut kept: Vec<Device<'a>> = Vec::with_capacity(devices.len().min(cap));
    for dev in devices {
        let name = dev.name();
        if kept.iter().any(|k| same_name(k.name(), name)) {
            d.skip(
                device_subject(name),
                Rule::A1,
                "a device with the same name was activated more recently",
            );
            continue;
        }
        if kept.len() == cap {
            d.skip(
                device_subject(name),
                Rule::A2,
                if has_token {
                    "beyond the 4 most recently activated devices (the user also has a hardware \
                     OATH token)"
                } else {
                    "beyond the 5 most recently activated devices"
                },
            );
            continue;
        }
        kept.push(dev);
    }

    let mut convert = Vec::new();
    for dev in kept {
        let name = dev.name();
        let present = input.methods.authenticators.iter().any(|a| {
            a.display_name
                .as_deref()
                .is_some_and(|n| same_name(n, name))
        });
        if present {
            d.note(
                device_subject(name),
                Rule::A3,
                NoteKind::Present,
                "present in Entra as a Microsoft Authenticator registration",
            );
            continue;
        }
        match (input.settings.mobile_app, dev.oath_secret()) {
            (MobileAppHandling::OathAsHardwareToken, Some(_)) => convert.push(dev),
            (MobileAppHandling::OathAsHardwareToken, None) => must_reregister(
                d,
                name,
                "Graph cannot create Authenticator registrations and the data file holds no \
                 OATH secret for this device: the user must re-register the app",
            ),
            (MobileAppHandling::Report, _) => must_reregister(
                d,
                name,
                "Graph cannot create Authenticator registrations: the user must re-register \
                 the app",
            ),
        }
    }
    convert
}

pub(super) fn device_subject(name: &str) -> Subject {
    Subject::Device {
        name: name.to_string(),
    }
}

pub(super) fn must_reregister(d: &mut Draft, name: &str, text: &str) {
    d.note(
        device_subject(name),
        Rule::A3,
        NoteKind::MustReregister,
        text,
    );
}
