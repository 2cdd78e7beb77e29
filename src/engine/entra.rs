//! Reading Entra state for the planner, in `$batch`: per user exactly two reads —
//! `GET /beta/users/{id}/authentication/methods` (phones, Authenticator registrations,
//! software and hardware OATH: beta's polymorphic list includes the hardware tokens with
//! their device, v1.0's does not) and `GET /beta/users/{id}/authentication/signInPreferences`
//! (the default method, beta only) — ten users per batch of twenty.
//!
//! More only when a rule needs it: the hardware OATH inventory is looked up by serial for
//! tokens the user does not already hold (rule H1), and the authentication methods
//! policy is read once per run, its target groups expanded once per run.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::graph::batch::BatchItem;
use crate::graph::endpoints::hardware::inventory_filter_path;
use crate::graph::endpoints::{GROUPS_READ, HARDWARE_INVENTORY, METHODS_READ};
use crate::graph::model::{
    AuthMethod, DirectoryObject, InventoryItem, Page, SignInPreferences, entra_methods,
};
use crate::graph::paging::Pager;
use crate::graph::root::{encode_segment, user_path};
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::migrate::{AllowedMethods, EntraMethods, InventoryDevice, PolicyFacts};

/// Users per `$batch`: two reads each, twenty requests per batch (graph-api.md §8).
pub(crate) const USERS_PER_BATCH: usize = 10;

const INVENTORY: &str = "/directory/authenticationMethodDevices/hardwareOathDevices";

fn methods_item(user: &str) -> BatchItem {
    BatchItem::get(format!("{}/authentication/methods", user_path(user))).with_access(METHODS_READ)
}

fn preferences_item(user: &str) -> BatchItem {
    BatchItem::get(format!(
        "{}/authentication/signInPreferences",
        user_path(user)
    ))
    .with_access(METHODS_READ)
}

/// Read the methods and sign-in preferences of `users`, batched; answers in order.
pub(crate) async fn read_users(
    client: &GraphClient,
    users: &[&str],
) -> Vec<Result<EntraMethods, GraphError>> {
    let mut items = Vec::with_capacity(users.len() * 2);
    for u in users {
        items.push(methods_item(u));
        items.push(preferences_item(u));
    }
    let mut answers = client.batch(ApiVersion::Beta, items).await.into_iter();
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        let (Some(methods), Some(prefs)) = (answers.next(), answers.next()) else {
            out.push(Err(GraphError::refused(
                "GET",
                &format!("/beta{}/authentication/methods", user_path(user)),
                "the batch answered fewer items than it was sent",
            )));
            continue;
        };
        out.push(assemble(client, user, methods, prefs).await);
    }
    out
}

async fn assemble(
    client: &GraphClient,
    user: &str,
    methods: Result<crate::graph::BatchResponse, GraphError>,
    prefs: Result<crate::graph::BatchResponse, GraphError>,
) -> Result<EntraMethods, GraphError> {
    let base = user_path(user);
    let methods = methods?;
    let page: Page<AuthMethod> = methods.json().map_err(|e| {
        GraphError::decode(
            "GET",
            &format!("/beta{base}/authentication/methods"),
            methods.status,
            e.to_string(),
        )
    })?;
    // Method lists document no paging, but a nextLink is followed all the same: the
    // whole list is read again with the pager rather than stitched together.
    let list = if page.next_link.is_some() {
        client.list_methods(user, ApiVersion::Beta).await?
    } else {
        page.value
    };
    let prefs = prefs?;
    let preferences: SignInPreferences = prefs.json().map_err(|e| {
        GraphError::decode(
            "GET",
            &format!("/beta{base}/authentication/signInPreferences"),
            prefs.status,
            e.to_string(),
        )
    })?;
    Ok(entra_methods(&list, &[], Some(&preferences)))
}

/// Look hardware tokens up in the tenant's inventory by serial (rule H1), batched. The
/// answer holds the devices found; a serial with no device is simply absent.
pub(crate) async fn lookup_serials(
    client: &GraphClient,
    serials: &[String],
) -> Result<Vec<InventoryDevice>, GraphError> {
    if serials.is_empty() {
        return Ok(Vec::new());
    }
    let items = serials
        .iter()
        .map(|s| BatchItem::get(inventory_filter_path(s)).with_access(HARDWARE_INVENTORY))
        .collect();
    let answers = client.batch(ApiVersion::Beta, items).await;
    let mut found = Vec::new();
    for (serial, answer) in serials.iter().zip(answers) {
        let answer = answer?;
        // Either documented item shape (the device, or a method wrapping it).
        let page: Page<InventoryItem> = answer
            .json()
            .map_err(|e| GraphError::decode("GET", INVENTORY, answer.status, e.to_string()))?;
        found.extend(
            page.value
                .iter()
                .filter(|d| {
                    d.serial_number
                        .as_deref()
                        .is_some_and(|x| x.trim().eq_ignore_ascii_case(serial.trim()))
                })
                .map(|d| d.to_inventory()),
        );
    }
    Ok(found)
}

/// Add the user's own `hardwareOathMethods` to `methods`: a token uploaded through the
/// legacy CSV is listed there but not by the inventory search (Entra docs,
/// how-to-mfa-manage-oath-tokens), and the polymorphic method list may not carry it
/// either. Read before a serial is created for the user (rule H1).
pub(crate) async fn add_user_tokens(
    client: &GraphClient,
    user: &str,
    methods: &mut EntraMethods,
) -> Result<(), GraphError> {
    let tokens = client.list_user_hardware_tokens(user).await?;
    for t in tokens {
        let t = t.to_entra();
        if !methods.hardware_oath.iter().any(|h| h.id == t.id) {
            methods.hardware_oath.push(t);
        }
    }
    Ok(())
}

/// The tenant's authentication methods policy with the groups its targets name, each
/// expanded once (transitive user members, ids only): evaluated per user without a
/// Graph call, by `migrate::usable` (the one implementation of the rule).
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    facts: PolicyFacts,
    members: HashMap<String, HashSet<String>>,
}

impl Policy {
    pub(crate) async fn read(client: &GraphClient) -> Result<Policy, GraphError> {
        let facts = client.get_methods_policy().await?.to_facts();
        let mut members = HashMap::new();
        for group in facts.target_groups() {
            let path = format!(
                "/groups/{}/transitiveMembers/microsoft.graph.user?$select=id&$top=999&$count=true",
                encode_segment(&group)
            );
            let mut pager: Pager<DirectoryObject> =
                Pager::new(client, ApiVersion::V1, path, GROUPS_READ).advanced();
            let mut ids = HashSet::new();
            loop {
                match pager.next_page().await {
                    Ok(Some(page)) => ids.extend(page.into_iter().map(|o| o.id.to_lowercase())),
                    Ok(None) => break,
                    // A target naming a group that no longer exists covers nobody.
                    Err(e) if e.is_not_found() => break,
                    Err(e) => return Err(e),
                }
            }
            members.insert(group.to_lowercase(), ids);
        }
        Ok(Policy { facts, members })
    }

    /// Which methods the policy allows this user.
    pub(crate) fn allowed(&self, user_id: &str) -> AllowedMethods {
        let user = user_id.to_lowercase();
        self.facts.for_user(&|group: &str| {
            self.members
                .get(&group.to_lowercase())
                .is_some_and(|m| m.contains(&user))
        })
    }

    #[cfg(test)]
    pub(crate) fn from_parts(
        facts: PolicyFacts,
        members: HashMap<String, HashSet<String>>,
    ) -> Policy {
        Policy { facts, members }
    }
}

/// A digest of the Entra state a plan was made from (the methods, the inventory devices
/// it looked at, the policy's verdict): `migrate --plan` refuses when it changed.
/// Lists are sorted first, so the order Graph lists them in does not matter.
pub(crate) fn state_digest(
    methods: &EntraMethods,
    inventory: &[InventoryDevice],
    allowed: AllowedMethods,
) -> String {
    let mut m = methods.clone();
    m.authenticators.sort_by(|a, b| a.id.cmp(&b.id));
    m.software_oath.sort();
    m.hardware_oath.sort_by(|a, b| a.id.cmp(&b.id));
    m.other.sort();
    let mut inv: Vec<&InventoryDevice> = inventory.iter().collect();
    inv.sort_by(|a, b| a.id.cmp(&b.id));
    inv.dedup_by(|a, b| a.id == b.id);
    let bytes = serde_json::to_vec(&(&m, &inv, &allowed)).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"mfa-cutover entra state v1\0");
    h.update(&bytes);
    data_encoding::HEXLOWER.encode(&h.finalize())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::graph::model::{MethodConfiguration, MethodState, MethodTarget, MethodsPolicy};
    use crate::migrate::{DeviceOwner, EntraAuthenticator, EntraPhone, HardwareStatus};

    #[test]
    fn digest_ignores_list_order_but_not_content() {
        let a = EntraAuthenticator {
            id: "a".into(),
            display_name: Some("Phone A".into()),
        };
        let b = EntraAuthenticator {
            id: "b".into(),
            display_name: Some("Phone B".into()),
        };
        let m1 = EntraMethods {
            authenticators: vec![a.clone(), b.clone()],
            ..Default::default()
        };
        let m2 = EntraMethods {
            authenticators: vec![b, a],
            ..Default::default()
        };
        let inv = [InventoryDevice {
            id: "d1".into(),
            serial: "S1".into(),
            owner: DeviceOwner::Unassigned,
            status: HardwareStatus::Available,
        }];
        let all = AllowedMethods::ALL;
        assert_eq!(state_digest(&m1, &inv, all), state_digest(&m2, &inv, all));
        let mut m3 = m1.clone();
        m3.mobile = Some(EntraPhone::from_graph("+1 4255550100"));
        assert_ne!(state_digest(&m1, &inv, all), state_digest(&m3, &inv, all));
        assert_ne!(state_digest(&m1, &inv, all), state_digest(&m1, &[], all));
        let no_sms = AllowedMethods { sms: false, ..all };
        assert_ne!(
            state_digest(&m1, &inv, all),
            state_digest(&m1, &inv, no_sms)
        );
    }

    #[test]
    fn policy_groups_are_evaluated_from_the_expanded_members() {
        let config = |id: &str, target: &str| MethodConfiguration {
            odata_type: None,
            id: id.into(),
            state: Some(MethodState::Enabled),
            include_targets: vec![MethodTarget {
                target_type: Some("group".into()),
                id: target.into(),
            }],
            exclude_targets: vec![],
            is_office_phone_allowed: None,
        };
        let policy = MethodsPolicy {
            authentication_method_configurations: vec![
                config("Sms", "all_users"),
                config("Voice", "G-VOICE"),
            ],
            ..Default::default()
        };
        let mut members = HashMap::new();
        members.insert("g-voice".to_string(), HashSet::from(["u1".to_string()]));
        let p = Policy::from_parts(policy.to_facts(), members);
        let u1 = p.allowed("U1");
        assert!(u1.sms && u1.voice && !u1.authenticator);
        let u2 = p.allowed("u2");
        assert!(u2.sms && !u2.voice);
    }
}
