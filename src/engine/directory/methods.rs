//! `ReadMethods`: the methods of the users a front end shows (visible rows, the detail
//! view), read ten per `$batch` by one reader task, the latest request replacing what is
//! still queued, answers cached briefly.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::DirMsg;
use crate::engine::context::Inbox;
use crate::engine::entra::{self, Policy, USERS_PER_BATCH};
use crate::engine::protocol::UserMethods;
use crate::graph::GraphClient;
use crate::migrate::usable_now;

/// An answer as the cache and the events carry it.
pub(crate) type MethodsAnswer = Result<Box<UserMethods>, String>;

/// `ReadMethods`: the latest request replaces what is still queued; one reader task reads
/// ten users per `$batch`; answers are cached for `ttl`.
pub(crate) struct MethodsService {
    queue: Arc<Mutex<VecDeque<String>>>,
    notify: Arc<Notify>,
    cache: HashMap<String, (Instant, MethodsAnswer)>,
    ttl: Duration,
    task: tokio::task::JoinHandle<()>,
}

impl MethodsService {
    pub(crate) fn start(client: GraphClient, ttl: Duration, tx: Inbox<DirMsg>) -> MethodsService {
        let queue: Arc<Mutex<VecDeque<String>>> = Arc::new(Mutex::new(VecDeque::new()));
        let notify = Arc::new(Notify::new());
        let task = {
            let (queue, notify) = (queue.clone(), notify.clone());
            tokio::spawn(async move {
                // The methods policy, read once when first needed: each answer says which
                // methods the user can use under it. Not readable: usability unknown.
                let mut policy: Option<Option<Arc<Policy>>> = None;
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
                    if policy.is_none() {
                        policy = Some(match Policy::read(&client).await {
                            Ok(p) => Some(Arc::new(p)),
                            Err(e) => {
                                tracing::warn!("the methods policy cannot be read: {e}");
                                None
                            }
                        });
                    }
                    let known = policy.clone().flatten();
                    let answers = chunk
                        .into_iter()
                        .zip(reads)
                        .map(|(id, r)| {
                            let answer = r
                                .map(|methods| {
                                    let usable = known
                                        .as_ref()
                                        .map(|p| usable_now(&methods, p.allowed(&id)));
                                    Box::new(UserMethods { methods, usable })
                                })
                                .map_err(|e| e.explanation());
                            (id, answer)
                        })
                        .collect();
                    if !tx.send(DirMsg::Methods(answers)) {
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
    pub(crate) fn request(&mut self, users: Vec<String>) -> Vec<(String, MethodsAnswer)> {
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

    pub(crate) fn store(&mut self, user: &str, r: &MethodsAnswer) {
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
