//! Items for the company and user portal settings.

use serde_json::json;

use super::{data_origin, subject};
use crate::datafile::Settings;
use crate::finding::Finding;
use crate::inventory::model::{Dependence, InvRule, Item, ItemId, ItemKind, PathKind};

/// The migration guide's Company Settings and User Portal tables
/// (`how-to-mfa-server-migration-utility.md`): what each setting becomes in Entra.
pub(super) fn setting_items(settings: &Settings) -> Vec<Item> {
    let mut out = Vec::new();
    for (section, map, kind) in [
        ("company", &settings.company, ItemKind::CompanySetting),
        (
            "user_portal",
            &settings.user_portal,
            ItemKind::UserPortalSetting,
        ),
    ] {
        for (i, (key, value)) in map.iter().enumerate() {
            let v = value.trim().to_ascii_lowercase();
            let on = matches!(v.as_str(), "true" | "1" | "yes");
            use PathKind::{NoAction, ReproduceInEntra};
            let (path, reason, no_equivalent): (PathKind, String, bool) = match (section, key.as_str()) {
                ("company", "user_default_method") => (NoAction, format!("default method {value}: migrated per user; Entra uses each user's default method"), false),
                ("company", "phone_call_mode") if v == "pin" => (ReproduceInEntra, "phone call with PIN: enable voice one-time passcodes in the methods policy".into(), false),
                ("company", "mobile_app_mode") if v == "pin" => (ReproduceInEntra, "mobile app with PIN: Entra's number matching gives the same proof of presence".into(), false),
                ("company", "text_message_mode") if v == "two_way" => (ReproduceInEntra, "two-way text messages have no Entra equivalent: users type the code Entra sends (one-way)".into(), true),
                ("company", "phone_call_mode" | "mobile_app_mode" | "text_message_mode") => (NoAction, format!("{value}: no action needed in Entra"), false),
                ("company", "language") => (NoAction, "Entra picks the language from the browser's locale".into(), false),
                ("company", "fraud_alert_enabled") if on => (ReproduceInEntra, "enable 'report suspicious activity' in Entra".into(), false),
                ("company", "block_user_on_fraud_report") if on => (ReproduceInEntra, "report suspicious activity marks the user high risk: block with a risk-based Conditional Access policy".into(), false),
                ("company", "pin_length" | "pin_rules") => (NoAction, "PIN rules do not apply in Entra".into(), false),
                ("user_portal", "url") => (PathKind::RedirectPortal, "users manage methods at aka.ms/mfasetup".into(), false),
                ("user_portal", "allow_enrollment") if on => (ReproduceInEntra, "combined security information registration (aka.ms/mysecurityinfo)".into(), false),
                ("user_portal", "allow_one_time_bypass") if on => (ReproduceInEntra, "one-time bypass: issue a Temporary Access Pass instead".into(), false),
                ("user_portal", "use_security_questions") if on => (ReproduceInEntra, "security questions are only for self-service password reset in Entra, not an MFA fallback".into(), true),
                ("user_portal", "allow_user_login") => (NoAction, "clear 'Allow users to log in' to close the portal once users manage methods in Entra".into(), false),
                (_, _) if matches!(v.as_str(), "false" | "0" | "no" | "") => (NoAction, "off: nothing to reproduce".into(), false),
                _ => (ReproduceInEntra, "not in the migration guide's tables: review it against Entra's MFA settings".into(), false),
            };
            let id = ItemId::new(&format!("setting-{section}"), key);
            let name = format!("{section}.{key}");
            let mut findings = Vec::new();
            let mut flags = Vec::new();
            if no_equivalent {
                flags.push("no Entra equivalent".to_string());
                findings.push(Finding::info(
                    InvRule::Setting,
                    subject(&id, &name),
                    reason.clone(),
                ));
            }
            out.push(Item {
                id,
                kind,
                name,
                origin: data_origin(i, &format!("settings ({section})")),
                record: json!({"section": section, "key": key, "value": value}),
                dependence: if path == NoAction {
                    Dependence::No
                } else {
                    Dependence::Yes
                },
                uses_mfa_server_for: (path != NoAction).then(|| format!("{key} = {value}")),
                path,
                reason,
                flags,
                findings,
                rules: Vec::new(),
                readiness: None,
                providers: Vec::new(),
                decision: None,
            });
        }
    }
    out
}
