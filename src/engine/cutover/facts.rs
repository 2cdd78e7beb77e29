//! Reading the facts the rollout and federation rules decide from: a group's direct
//! members (or transitive users) folded into readiness, the MFA rollout policy, the
//! domains with their federation values, and what this tool last wrote to each (for
//! drift and the propagation clock).
//!
//! Readiness asks Graph as little as it can: a user's migration state comes from the
//! state store, and so does whether a verified user holds a usable Entra method (recorded
//! from the plan at verification). Only synced users the store cannot vouch for have
//! their methods read — ten per `$batch`, judged by the one usable-method rule under the
//! methods policy (read once per reader).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::engine::entra::{self, Policy, USERS_PER_BATCH};
use crate::engine::protocol::{ChangeClock, Refusal, RefusalKind};
use crate::engine::store::{Store, TargetKind, UserState, UserStatusKind};
use crate::graph::model::{DirectoryObject, MemberKind};
use crate::graph::{GraphClient, GraphError};
use crate::migrate::usable_now;
use crate::rollout::{
    DomainFacts, FederationValue, GroupInfo, GroupReadiness, LastWrite, Member, MigrationState,
    PolicySnapshot, Propagation, RolloutPolicyFacts, Tally, UserFacts,
};

/// Reads facts for one command; caches what it read once (store users, the policy).
pub(crate) struct Reader {
    pub graph: GraphClient,
    pub store: Store,
    pub tenant: String,
    users: OnceCell<Arc<HashMap<String, UserState>>>,
    policy: OnceCell<Option<Arc<Policy>>>,
}

/// A user the store cannot vouch for: read from Graph.
struct Pending {
    object: DirectoryObject,
    state: MigrationState,
}

impl Reader {
    pub(crate) fn new(graph: GraphClient, store: Store, tenant: String) -> Reader {
        Reader {
            graph,
            store,
            tenant,
            users: OnceCell::new(),
            policy: OnceCell::new(),
        }
    }

    /// Every user the store knows, by Entra object id (read once, off the engine loop).
    async fn users(&self) -> Arc<HashMap<String, UserState>> {
        self.users
            .get_or_init(|| async {
                let (store, tenant) = (self.store.clone(), self.tenant.clone());
                let read = tokio::task::spawn_blocking(move || store.users(&tenant)).await;
                let users = match read {
                    Ok(Ok(users)) => users,
                    Ok(Err(e)) => {
                        tracing::warn!("reading migrated users from the store: {e}");
                        Vec::new()
                    }
                    Err(e) => {
                        tracing::warn!("reading migrated users from the store stopped: {e}");
                        Vec::new()
                    }
                };
                Arc::new(
                    users
                        .into_iter()
                        .map(|u| (u.entra_id.to_lowercase(), u))
                        .collect(),
                )
            })
            .await
            .clone()
    }

    async fn policy(&self) -> Option<Arc<Policy>> {
        self.policy
            .get_or_init(|| async {
                match Policy::read(&self.graph).await {
                    Ok(p) => Some(Arc::new(p)),
                    Err(e) => {
                        tracing::warn!("the methods policy cannot be read: {e}");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The store's word on a user: migration state, and whether they hold a usable
    /// method (known for verified users).
    async fn store_state(&self, id: &str) -> (MigrationState, Option<bool>) {
        let users = self.users().await;
        match users.get(&id.to_lowercase()) {
            Some(u) => {
                let state = MigrationState::from_store(
                    Some(u.status.as_str()),
                    u.migrated_at.map(|_| "migrated"),
                );
                let usable = match u.status {
                    UserStatusKind::Verified => u.usable,
                    _ => None,
                };
                (state, usable)
            }
            None => (MigrationState::NotMigrated, None),
        }
    }

    /// Find a group by name or id: exactly one, or a refusal saying why not.
    pub(crate) async fn group(&self, query: &str) -> Result<GroupInfo, Refusal> {
        let groups = self
            .graph
            .find_groups(query)
            .await
            .map_err(|e| super::graph_refusal(&format!("finding the group {query:?}"), &e))?;
        match groups.as_slice() {
            [g] => Ok(GroupInfo::from_graph(g)),
            [] => Err(Refusal::new(
                RefusalKind::NotFound,
                format!(
                    "no group is named \"{}\" (and no group has that object id)",
                    crate::safe_text::terminal(query)
                ),
            )),
            many => Err(Refusal::new(
                RefusalKind::BadInput,
                format!(
                    "{} groups are named \"{}\": name the group by object id ({})",
                    many.len(),
                    crate::safe_text::terminal(query),
                    many.iter()
                        .map(|g| g.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// A group's readiness. `direct`: fold its direct members (what Staged Rollout
    /// sees: nested groups' members are out of scope); otherwise its transitive users
    /// (a migration group).
    pub(crate) async fn readiness(
        &self,
        info: GroupInfo,
        direct: bool,
    ) -> Result<GroupReadiness, GraphError> {
        let mut r = GroupReadiness::new(info.clone());
        let mut pager = if direct {
            self.graph.group_direct_members(&info.group.id)
        } else {
            self.graph.group_members(&info.group.id)
        };
        let mut pending: Vec<Pending> = Vec::new();
        while let Some(page) = pager.next_page().await? {
            for o in page {
                match o.kind() {
                    MemberKind::User => {
                        let (state, usable) = self.store_state(&o.id).await;
                        let synced = o.on_premises_sync_enabled == Some(true);
                        match usable {
                            // Out of scope, or vouched for by the store: no Graph read.
                            _ if !synced => r.add(&Member::from_graph(&o, state, false, None)),
                            Some(u) => r.add(&Member::from_graph(&o, state, u, None)),
                            None => pending.push(Pending { object: o, state }),
                        }
                    }
                    MemberKind::Group if direct => {
                        let users = self.graph.count_group_users(&o.id, true).await.ok();
                        r.add(&Member::from_graph(
                            &o,
                            MigrationState::NotMigrated,
                            false,
                            users,
                        ));
                    }
                    _ => r.add(&Member::from_graph(
                        &o,
                        MigrationState::NotMigrated,
                        false,
                        None,
                    )),
                }
            }
        }
        let policy = self.policy().await;
        for chunk in pending.chunks(USERS_PER_BATCH) {
            let ids: Vec<&str> = chunk.iter().map(|p| p.object.id.as_str()).collect();
            let reads = entra::read_users(&self.graph, &ids).await;
            for (p, read) in chunk.iter().zip(reads) {
                // A user whose methods cannot be read is not counted as ready: R1 errs on
                // the side of nobody locked out.
                let usable = match (&read, &policy) {
                    (Ok(m), Some(policy)) => usable_now(m, policy.allowed(&p.object.id)).any(),
                    _ => false,
                };
                if let Err(e) = &read {
                    tracing::warn!(user = %p.object.id, "reading methods for readiness: {e}");
                }
                r.add(&Member::from_graph(&p.object, p.state, usable, None));
            }
        }
        Ok(r)
    }

    /// The users of several groups (transitive), each counted once, folded; only users
    /// whose UPN ends in `@domain` when a domain is given.
    pub(crate) async fn users_of(
        &self,
        groups: &[GroupInfo],
        domain: Option<&str>,
    ) -> Result<Tally, GraphError> {
        let suffix = domain.map(|d| format!("@{}", d.to_lowercase()));
        let mut seen = std::collections::HashSet::new();
        let mut tally = Tally::default();
        let mut pending: Vec<Pending> = Vec::new();
        for g in groups {
            let mut pager = self.graph.group_members(&g.group.id);
            while let Some(page) = pager.next_page().await? {
                for o in page {
                    if o.kind() != MemberKind::User || !seen.insert(o.id.to_lowercase()) {
                        continue;
                    }
                    if let Some(s) = &suffix
                        && !o
                            .user_principal_name
                            .as_deref()
                            .is_some_and(|u| u.to_lowercase().ends_with(s.as_str()))
                    {
                        continue;
                    }
                    let (state, usable) = self.store_state(&o.id).await;
                    let synced = o.on_premises_sync_enabled == Some(true);
                    match usable {
                        _ if !synced => add_user(&mut tally, &o, state, false),
                        Some(u) => add_user(&mut tally, &o, state, u),
                        None => pending.push(Pending { object: o, state }),
                    }
                }
            }
        }
        let policy = self.policy().await;
        for chunk in pending.chunks(USERS_PER_BATCH) {
            let ids: Vec<&str> = chunk.iter().map(|p| p.object.id.as_str()).collect();
            let reads = entra::read_users(&self.graph, &ids).await;
            for (p, read) in chunk.iter().zip(reads) {
                let usable = match (&read, &policy) {
                    (Ok(m), Some(policy)) => usable_now(m, policy.allowed(&p.object.id)).any(),
                    _ => false,
                };
                add_user(&mut tally, &p.object, p.state, usable);
            }
        }
        Ok(tally)
    }

    /// The MFA rollout policy, if the tenant has one.
    pub(crate) async fn rollout_policy(
        &self,
        graph: &GraphClient,
    ) -> Result<Option<RolloutPolicyFacts>, GraphError> {
        Ok(graph
            .find_mfa_rollout_policy()
            .await?
            .map(|p| RolloutPolicyFacts::from_graph(&p)))
    }

    /// The tenant's domains with their federation values (federated ones read).
    pub(crate) async fn domains(&self) -> Result<Vec<DomainFacts>, GraphError> {
        let mut out = Vec::new();
        for d in self.graph.list_domains().await? {
            let (fed, users) = if d.is_federated() {
                // The rollback's blast radius: the users the domain's setting decides. A
                // count Graph cannot give is shown as uncounted, never as zero.
                let users = match self.graph.count_domain_users(&d.id).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!("counting the users of {}: {e}", d.id);
                        None
                    }
                };
                (self.graph.get_federation(&d.id).await?, users)
            } else {
                (None, None)
            };
            out.push(DomainFacts::from_graph(&d, fed.as_ref(), users));
        }
        Ok(out)
    }

    /// What this tool last wrote to the rollout policy.
    pub(crate) async fn last_policy_write(&self) -> Option<LastWrite<PolicySnapshot>> {
        let e = self
            .last_change(TargetKind::RolloutPolicy, crate::rollout::POLICY_TARGET)
            .await?;
        let value = PolicySnapshot::from_audit(e.after.as_deref()?)?;
        Some(LastWrite { value, at: e.at })
    }

    /// What this tool last wrote to a domain's federation value.
    pub(crate) async fn last_federation_write(
        &self,
        domain: &str,
    ) -> Option<LastWrite<FederationValue>> {
        let e = self
            .last_change(TargetKind::DomainFederation, &domain.to_lowercase())
            .await?;
        Some(LastWrite {
            value: FederationValue::from_audit(e.after.as_deref()?),
            at: e.at,
        })
    }

    async fn last_change(
        &self,
        kind: TargetKind,
        id: &str,
    ) -> Option<crate::engine::store::AuditEntry> {
        let (store, tenant, id) = (self.store.clone(), self.tenant.clone(), id.to_string());
        tokio::task::spawn_blocking(move || store.last_change(&tenant, kind, &id))
            .await
            .ok()?
            .ok()?
    }

    /// When the tool last changed a target, and how far it has propagated.
    pub(crate) async fn clock(
        &self,
        kind: TargetKind,
        id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<ChangeClock> {
        let e = self.last_change(kind, id).await?;
        let p = Propagation::since(e.at, now);
        Some(ChangeClock {
            at: e.at,
            action: e.action,
            settled: p.settled(),
            text: p.to_string(),
        })
    }
}

fn add_user(t: &mut Tally, o: &DirectoryObject, state: MigrationState, usable: bool) {
    t.add_user(&UserFacts {
        id: o.id.clone(),
        upn: o
            .user_principal_name
            .clone()
            .unwrap_or_else(|| o.id.clone()),
        synced: o.on_premises_sync_enabled == Some(true),
        migration: state,
        has_usable_method: usable,
    });
}
