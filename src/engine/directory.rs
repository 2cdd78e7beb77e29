//! The directory side of the engine: finding the migration group, streaming its users
//! (matched to MFA Server users as each page arrives), and reading the methods of the
//! users a front end shows (coalesced, batched, cached briefly).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};

use super::core::Internal;
use super::entra::{self, USERS_PER_BATCH};
use super::protocol::{GroupInfo, Member};
use crate::graph::endpoints::GROUPS_READ;
use crate::graph::model::{Group, User};
use crate::graph::paging::Pager;
use crate::graph::root::{encode_query_value, encode_segment};
use crate::graph::{ApiVersion, GraphClient};
use crate::migrate::{EntraMethods, Matcher, MigrationSettings};

/// The user properties matching and the users pane need, and no more: rule M1's UPN,
/// M2's SID, M3's configured attribute (its top-level property when nested), display
/// name, and what readiness checks look at.
pub(crate) fn member_select(settings: &MigrationSettings) -> Vec<String> {
    let mut props: Vec<String> = [
        "id",
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(a) = &settings.match_attribute {
        let top = a.entra.trim().split('.').next().unwrap_or_default().trim();
        if !top.is_empty() && !props.iter().any(|p| p.eq_ignore_ascii_case(top)) {
            props.push(top.to_string());
        }
    }
    props
}

pub(crate) fn group_info(g: &Group) -> GroupInfo {
    GroupInfo {
        id: g.id.clone(),
        display_name: g.display_name.clone().unwrap_or_else(|| g.id.clone()),
        dynamic: g.is_dynamic(),
    }
}

/// Stream a group's users page by page into the engine, each matched (M1–M3). The
/// engine aborts the task when a newer request replaces it.
pub(crate) async fn load_members(
    client: GraphClient,
    group_id: String,
    select: Vec<String>,
    matcher: Arc<Matcher>,
    generation: u64,
    tx: mpsc::UnboundedSender<Internal>,
) {
    let path = format!(
        "/groups/{}/transitiveMembers/microsoft.graph.user?$select={}&$top=999&$count=true",
        encode_segment(&group_id),
        encode_query_value(&select.join(","))
    );
    let mut pager: Pager<User> = Pager::new(&client, ApiVersion::V1, path, GROUPS_READ).advanced();
    loop {
        match pager.next_page().await {
            Ok(Some(users)) => {
                let page: Vec<Member> = users
                    .into_iter()
                    .map(|u| {
                        let entra = u.into_entra();
                        let matched = matcher.match_user(&entra);
                        Member { entra, matched }
                    })
                    .collect();
                let msg = Internal::MembersPage {
                    generation,
                    group_id: group_id.clone(),
                    page,
                    done: false,
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = tx.send(Internal::MembersPage {
                    generation,
                    group_id,
                    page: Vec::new(),
                    done: true,
                });
                return;
            }
            Err(error) => {
                let _ = tx.send(Internal::MembersFailed {
                    generation,
                    group_id,
                    error: error.explanation(),
                });
                return;
            }
        }
    }
}

/// `ReadMethods`: the latest request replaces what is still queued; one reader task reads
/// ten users per `$batch`; answers are cached for `ttl`.
pub(crate) struct MethodsService {
    queue: Arc<Mutex<VecDeque<String>>>,
    notify: Arc<Notify>,
    cache: HashMap<String, (Instant, Result<Box<EntraMethods>, String>)>,
    ttl: Duration,
    task: tokio::task::JoinHandle<()>,
}

impl MethodsService {
    pub(crate) fn start(
        client: GraphClient,
        ttl: Duration,
        tx: mpsc::UnboundedSender<Internal>,
    ) -> MethodsService {
        let queue: Arc<Mutex<VecDeque<String>>> = Arc::new(Mutex::new(VecDeque::new()));
        let notify = Arc::new(Notify::new());
        let task = {
            let (queue, notify) = (queue.clone(), notify.clone());
            tokio::spawn(async move {
                loop {
                    let chunk: Vec<String> = {
                        let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                        let n = q.len().min(USERS_PER_BATCH);
                        q.drain(..n).collect()
                    };
                    if chunk.is_empty() {
                        notify.notified().await;
                        continue;
                    }
                    let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    let reads = entra::read_users(&client, &ids).await;
                    let answers = chunk
                        .into_iter()
                        .zip(reads)
                        .map(|(id, r)| (id, r.map(Box::new).map_err(|e| e.explanation())))
                        .collect();
                    if tx.send(Internal::Methods(answers)).is_err() {
                        return;
                    }
                }
            })
        };
        MethodsService {
            queue,
            notify,
            cache: HashMap::new(),
            ttl,
            task,
        }
    }

    /// Answer fresh cache entries now (returned); queue the rest, replacing the queue.
    pub(crate) fn request(
        &mut self,
        users: Vec<String>,
    ) -> Vec<(String, Result<Box<EntraMethods>, String>)> {
        let now = Instant::now();
        let mut ready = Vec::new();
        let mut wanted = VecDeque::new();
        for u in users {
            match self.cache.get(&u) {
                Some((at, r)) if now.duration_since(*at) < self.ttl => ready.push((u, r.clone())),
                _ => {
                    if !wanted.contains(&u) {
                        wanted.push_back(u)
                    }
                }
            }
        }
        if let Ok(mut q) = self.queue.lock() {
            *q = wanted;
        }
        self.notify.notify_one();
        ready
    }

    pub(crate) fn store(&mut self, user: &str, r: &Result<Box<EntraMethods>, String>) {
        // Failures are not cached: asking again should try again.
        if r.is_ok() {
            self.cache
                .insert(user.to_string(), (Instant::now(), r.clone()));
        }
        if self.cache.len() > 50_000 {
            let ttl = self.ttl;
            let now = Instant::now();
            self.cache
                .retain(|_, (at, _)| now.duration_since(*at) < ttl);
        }
    }

    /// A write changed the user: forget what was read.
    pub(crate) fn invalidate(&mut self, user: &str) {
        self.cache.remove(user);
    }
}

impl Drop for MethodsService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::MatchAttribute;

    #[test]
    fn selects_the_configured_attribute_by_its_top_level_property() {
        let mut s = MigrationSettings::default();
        assert_eq!(member_select(&s).len(), 6);
        s.match_attribute = Some(MatchAttribute {
            mfa_server: "extensionAttribute1".into(),
            entra: "onPremisesExtensionAttributes.extensionAttribute1".into(),
        });
        let sel = member_select(&s);
        assert_eq!(
            sel.last().map(String::as_str),
            Some("onPremisesExtensionAttributes")
        );
        s.match_attribute = Some(MatchAttribute {
            mfa_server: "upn".into(),
            entra: "userPrincipalName".into(),
        });
        assert_eq!(member_select(&s).len(), 6, "no property twice");
    }
}
