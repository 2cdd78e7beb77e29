//! The Graph HTTP client: one shared limiter, retries, paging, counters and an observer.
//!
//! Every request carries a fresh `client-request-id` (a UUID) that is logged with the
//! method, path and status — never a header, a body or a token. Retries:
//! - 429: wait the `Retry-After` (every worker pauses, the limiter slows down), then again;
//! - 503 with `Retry-After`: the service said when to come back: wait, then again;
//! - other 5xx, timeouts, resets: reads and idempotent writes back off and retry; a
//!   non-idempotent write (POST) is *not* retried once it may have been applied — it
//!   fails with `outcome_unknown` and the engine reads back first (rule C5);
//! - connection refused: the request never left, so anything is retried;
//! - 401: the token source drops its cached token and the request is tried once more.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use secrecy::{ExposeSecret, SecretSlice};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::activity::CallRecord;
use super::auth::TokenSource;
use super::error::{Access, GraphError, GraphErrorKind, TransportFailure};
use super::limiter::{Cost, Limiter, Limits, ThrottleScope};
use super::retry::{RetryPolicy, parse_retry_after};
use super::root::{ApiVersion, GraphRoot};

/// Receives one [`CallRecord`] per HTTP attempt (the activity log, load figures).
pub type Observer = Arc<dyn Fn(CallRecord) + Send + Sync>;

/// An observer that forwards records into a channel (dropped silently once closed).
pub fn channel_observer(tx: tokio::sync::mpsc::UnboundedSender<CallRecord>) -> Observer {
    Arc::new(move |r| {
        let _ = tx.send(r);
    })
}

/// How a client is set up.
#[derive(Clone)]
pub struct ClientOptions {
    pub root: GraphRoot,
    pub limits: Limits,
    pub retry: RetryPolicy,
    pub observer: Option<Observer>,
}

impl ClientOptions {
    pub fn new(root: GraphRoot, limits: Limits) -> ClientOptions {
        ClientOptions {
            root,
            limits,
            retry: RetryPolicy::default(),
            observer: None,
        }
    }

    /// The Graph root (`--graph-url` or the cloud's) and `[graph]` quotas of a
    /// configuration; a refused `--graph-url` says why.
    pub fn from_config(
        config: &crate::config::Config,
    ) -> Result<ClientOptions, super::root::UrlPolicyError> {
        let root = GraphRoot::resolve(config.cloud, config.graph_url.as_deref())?;
        Ok(ClientOptions::new(
            root,
            Limits::from_settings(&config.graph),
        ))
    }

    pub fn with_observer(mut self, observer: Observer) -> ClientOptions {
        self.observer = Some(observer);
        self
    }
}

/// Counters the engine reads for its load figures.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    operations: AtomicU64,
    writes: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
    failed: AtomicU64,
}

/// A snapshot of a client's counters since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// HTTP requests sent (every attempt; a `$batch` is one).
    pub requests: u64,
    /// Graph operations attempted (plain requests plus each `$batch` item, per attempt).
    pub operations: u64,
    /// Writes that succeeded.
    pub writes: u64,
    /// Operations answered 429 (plain or inside a batch).
    pub throttled: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Operations that finally failed.
    pub failed: u64,
}

impl ClientStats {
    /// Share of operations answered 429.
    pub fn throttled_share(&self) -> f64 {
        if self.operations == 0 {
            0.0
        } else {
            self.throttled as f64 / self.operations as f64
        }
    }
}

/// A request body; a sensitive one (it carries an OATH secret) is zeroised on drop.
pub(crate) enum Body {
    Json(Vec<u8>),
    Sensitive(SecretSlice<u8>),
}

impl Body {
    pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body, serde_json::Error> {
        serde_json::to_vec(value).map(Body::Json)
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(b) => b.clone(),
            Body::Sensitive(s) => s.expose_secret().to_vec(),
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(b) => write!(f, "Body({} bytes)", b.len()),
            Body::Sensitive(_) => f.write_str("Body(sensitive)"),
        }
    }
}

/// Where a request goes: a path under a version, or a nextLink verbatim.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Relative {
        version: ApiVersion,
        path_and_query: String,
    },
    Absolute(Url),
}

/// One logical request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: Method,
    pub target: Target,
    pub body: Option<Body>,
    /// `ConsistencyLevel: eventual` (advanced queries; re-sent on every page).
    pub advanced_query: bool,
    /// `Prefer: include-unknown-enum-members` (Staged Rollout's evolvable enum).
    pub prefer_unknown_enums: bool,
    /// Safe to send again after an unknown outcome (GET, PATCH, DELETE).
    pub idempotent: bool,
    pub access: Option<Access>,
    pub cost: Cost,
}

impl Request {
    pub(crate) fn new(method: Method, version: ApiVersion, path_and_query: String) -> Request {
        let cost = Cost::of(method.as_str(), &path_and_query);
        let idempotent = method != Method::POST;
        Request {
            method,
            target: Target::Relative {
                version,
                path_and_query,
            },
            body: None,
            advanced_query: false,
            prefer_unknown_enums: false,
            idempotent,
            access: None,
            cost,
        }
    }

    pub(crate) fn access(mut self, access: Access) -> Request {
        self.access = Some(access);
        self
    }

    pub(crate) fn body(mut self, body: Body) -> Request {
        self.body = Some(body);
        self
    }

    pub(crate) fn prefer_unknown_enums(mut self) -> Request {
        self.prefer_unknown_enums = true;
        self
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// What one HTTP attempt produced.
pub(crate) enum Attempt {
    Answered {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        client_request_id: String,
    },
    Failed {
        failure: TransportFailure,
        detail: String,
        client_request_id: String,
    },
}

pub(crate) struct Inner {
    http: reqwest::Client,
    root: GraphRoot,
    tokens: Arc<dyn TokenSource>,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) retry: RetryPolicy,
    observer: Option<Observer>,
    counters: Counters,
}

/// The Graph client. Cheap to clone; clones share the limiter and counters.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("root", &self.inner.root.as_str())
            .field("auth", &self.inner.tokens.describe())
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    pub fn new(
        tokens: Arc<dyn TokenSource>,
        options: ClientOptions,
    ) -> Result<GraphClient, GraphError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mfa-cutover/", env!("CARGO_PKG_VERSION")))
            .timeout(options.retry.request_timeout)
            .connect_timeout(options.retry.connect_timeout)
            .pool_max_idle_per_host(options.limits.concurrency.max(8) * 2)
            .tcp_nodelay(true);
        if options.root.is_loopback() {
            // The simulated tenant: never send loopback traffic through a proxy.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| {
            GraphError::refused("", "", format!("cannot set up the HTTP client: {e}"))
        })?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                root: options.root,
                tokens,
                limiter: Limiter::new(options.limits),
                retry: options.retry,
                observer: options.observer,
                counters: Counters::default(),
            }),
        })
    }

    pub fn root(&self) -> &GraphRoot {
        &self.inner.root
    }

    /// The limiter all workers of this client share.
    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.inner.limiter
    }

    pub fn token_source(&self) -> &Arc<dyn TokenSource> {
        &self.inner.tokens
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            operations: c.operations.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_operation(&self, n: u64) {
        self.inner
            .counters
            .operations
            .fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn count_write(&self) {
        self.inner.counters.writes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_throttled(&self, n: u64) {
        self.inner
            .counters
            .throttled
            .fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_failed(&self) {
        self.inner.counters.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Path and query under the Graph root, for records, logs and errors.
    pub(crate) fn display_path(&self, target: &Target) -> String {
        match target {
            Target::Relative {
                version,
                path_and_query,
            } => format!("/{}{}", version.segment(), path_and_query),
            Target::Absolute(url) => self.inner.root.relative(url.as_str()).to_string(),
        }
    }

    /// Send one HTTP attempt: token, headers, record, log. No retry here.
    pub(crate) async fn attempt(
        &self,
        req: &Request,
        attempt: u32,
        batch_items: u32,
    ) -> Result<Attempt, GraphError> {
        let path = self.display_path(&req.target);
        let token = self.inner.tokens.token().await.map_err(|e| {
            GraphError::new(
                GraphErrorKind::SignIn {
                    detail: e.to_string(),
                },
                req.method.as_str(),
                &path,
            )
        })?;
        let url = match &req.target {
            Target::Relative {
                version,
                path_and_query,
            } => self.inner.root.url(*version, path_and_query),
            Target::Absolute(url) => url.to_string(),
        };
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut rb = self
            .inner
            .http
            .request(req.method.clone(), url)
            .bearer_auth(token.expose())
            .header("client-request-id", &client_request_id)
            .header("return-client-request-id", "true")
            .header(ACCEPT, "application/json");
        if req.advanced_query {
            rb = rb.header("ConsistencyLevel", "eventual");
        }
        if req.prefer_unknown_enums {
            rb = rb.header("Prefer", "include-unknown-enum-members");
        }
        if let Some(body) = &req.body {
            rb = rb
                .header(CONTENT_TYPE, "application/json")
                .body(body.bytes());
        }
        drop(token);
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let at = Utc::now();
        let outcome = match rb.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(body) => Ok((status, headers, body.to_vec())),
                    Err(e) => Err(classify(&e)),
                }
            }
            Err(e) => Err(classify(&e)),
        };
        let elapsed = started.elapsed();
        let status = outcome.as_ref().ok().map(|(s, _, _)| *s);
        let error_code = match &outcome {
            Ok((s, _, body)) if *s >= 400 => error_code(body),
            _ => None,
        };
        let throttled = u32::from(status == Some(429));
        let ms = elapsed.as_millis() as u64;
        match &outcome {
            Ok((s, _, _)) if *s < 400 => tracing::info!(
                method = %req.method, path = %path, status = s, attempt, batch_items, ms,
                client_request_id = %client_request_id,
                "graph call"
            ),
            Ok((s, headers, _)) => {
                let retry_after_ms = header(headers, "retry-after")
                    .and_then(|v| parse_retry_after(v, Utc::now()))
                    .map(|d| d.as_millis() as u64);
                tracing::warn!(
                    method = %req.method, path = %path, status = s, attempt, batch_items,
                    code = error_code.as_deref().unwrap_or(""), retry_after_ms, ms,
                    client_request_id = %client_request_id,
                    "graph call failed"
                )
            }
            Err((failure, detail)) => tracing::warn!(
                method = %req.method, path = %path, attempt, batch_items, failure = ?failure,
                detail = %detail, ms, client_request_id = %client_request_id,
                "graph call got no answer"
            ),
        }
        if let Some(observer) = &self.inner.observer {
            observer(CallRecord {
                at,
                method: req.method.to_string(),
                path,
                status,
                duration_ms: elapsed.as_millis().min(u128::from(u32::MAX)) as u32,
                attempt,
                batch_items,
                throttled,
                error_code,
                client_request_id: client_request_id.clone(),
            });
        }
        Ok(match outcome {
            Ok((status, headers, body)) => Attempt::Answered {
                status,
                headers,
                body,
                client_request_id,
            },
            Err((failure, detail)) => Attempt::Failed {
                failure,
                detail,
                client_request_id,
            },
        })
    }

    /// Send with the budget, retries and error mapping described in the module docs.
    pub(crate) async fn send(&self, req: Request) -> Result<Response, GraphError> {
        let method = req.method.as_str().to_string();
        let path = self.display_path(&req.target);
        let policy = &self.inner.retry;
        let mut attempt = 0u32;
        let mut transient = 0u32;
        let mut throttled = 0u32;
        let mut reauthorised = false;
        // A previous attempt may have been applied (sent, no answer): a DELETE that now
        // answers 404 has then already done its work.
        let mut maybe_applied = false;
        loop {
            attempt += 1;
            if attempt > 1 {
                self.count_retry();
            }
            self.count_operation(1);
            self.inner.limiter.acquire(req.cost).await;
            let fail = |mut e: GraphError, crid: &str, unknown: bool| {
                e.client_request_id = Some(crid.to_string());
                e.attempts = attempt;
                e.outcome_unknown = unknown;
                self.count_failed();
                e
            };
            let result = match self.attempt(&req, attempt, 0).await {
                Ok(a) => a,
                Err(mut e) => {
                    e.attempts = attempt;
                    self.count_failed();
                    return Err(e);
                }
            };
            match result {
                Attempt::Answered {
                    status,
                    headers,
                    body,
                    client_request_id,
                } => {
                    if (200..300).contains(&status) {
                        if req.cost.is_write() {
                            self.count_write();
                        }
                        return Ok(Response { status, body });
                    }
                    if status == 404 && maybe_applied && req.method == Method::DELETE {
                        self.count_write();
                        return Ok(Response {
                            status: 204,
                            body: Vec::new(),
                        });
                    }
                    let retry_after = header(&headers, "retry-after")
                        .and_then(|v| parse_retry_after(v, Utc::now()))
                        .map(|d| d.min(policy.max_retry_after));
                    let error = GraphError::from_response(
                        &method,
                        &path,
                        status,
                        &body,
                        header(&headers, "request-id").map(str::to_string),
                        retry_after,
                        req.access,
                    );
                    match status {
                        401 if !reauthorised && self.inner.tokens.invalidate() => {
                            reauthorised = true;
                            continue;
                        }
                        429 => {
                            throttled += 1;
                            self.count_throttled(1);
                            let wait =
                                retry_after.unwrap_or_else(|| policy.backoff(throttled.max(2)));
                            let scope = ThrottleScope::from_headers(
                                header(&headers, "x-ms-throttle-information"),
                                header(&headers, "x-ms-throttle-scope"),
                            );
                            self.inner.limiter.on_throttled(scope, wait);
                            if throttled < policy.max_throttled_attempts {
                                continue;
                            }
                            return Err(fail(error, &client_request_id, false));
                        }
                        503 if retry_after.is_some() => {
                            // The service said when to come back; nothing was done.
                            transient += 1;
                            if let Some(wait) = retry_after {
                                self.inner.limiter.pause(wait);
                            }
                            if transient < policy.max_attempts {
                                continue;
                            }
                            return Err(fail(error, &client_request_id, false));
                        }
                        408 | 500 | 502 | 503 | 504 | 509 => {
                            if !req.idempotent {
                                return Err(fail(error, &client_request_id, true));
                            }
                            transient += 1;
                            maybe_applied = true;
                            if transient < policy.max_attempts {
                                tokio::time::sleep(policy.backoff(transient)).await;
                                continue;
                            }
                            return Err(fail(error, &client_request_id, false));
                        }
                        _ => return Err(fail(error, &client_request_id, false)),
                    }
                }
                Attempt::Failed {
                    failure,
                    detail,
                    client_request_id,
                } => {
                    let sent = failure != TransportFailure::Connect;
                    let error = GraphError::new(
                        GraphErrorKind::Transport { failure, detail },
                        &method,
                        &path,
                    );
                    if sent && !req.idempotent {
                        return Err(fail(error, &client_request_id, true));
                    }
                    maybe_applied |= sent;
                    transient += 1;
                    if transient < policy.max_attempts {
                        tokio::time::sleep(policy.backoff(transient)).await;
                        continue;
                    }
                    return Err(fail(error, &client_request_id, false));
                }
            }
        }
    }

    /// GET and parse.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path_and_query: String,
        access: Access,
    ) -> Result<T, GraphError> {
        let req = Request::new(Method::GET, version, path_and_query).access(access);
        self.send_json(req).await
    }

    /// GET and parse; 404 → `None`.
    pub(crate) async fn get_json_opt<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path_and_query: String,
        access: Access,
    ) -> Result<Option<T>, GraphError> {
        match self.get_json(version, path_and_query, access).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Send and parse the answer as one object (a `value`-wrapped one too).
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        req: Request,
    ) -> Result<T, GraphError> {
        let method = req.method.as_str().to_string();
        let path = self.display_path(&req.target);
        let resp = self.send(req).await?;
        super::model::parse_single(&resp.body)
            .map_err(|e| GraphError::decode(&method, &path, resp.status, format!("{e}")))
    }

    /// Send; accept any 2xx with or without a body (PATCH answers 204, or 200 with the
    /// object in older docs). Returns the body when there is one.
    pub(crate) async fn send_no_content(
        &self,
        req: Request,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        let resp = self.send(req).await?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        Ok(serde_json::from_slice(&resp.body).ok())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `error.code` of an error body, for records.
fn error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("error")?.get("code")?.as_str().map(str::to_string)
}

/// What kind of transport failure a reqwest error is, and a short description (without
/// the URL; never headers).
fn classify(e: &reqwest::Error) -> (TransportFailure, String) {
    let failure = if e.is_connect() {
        TransportFailure::Connect
    } else if e.is_timeout() {
        TransportFailure::Timeout
    } else {
        TransportFailure::Reset
    };
    let mut detail = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        detail = if e.is_timeout() {
            "timed out".to_string()
        } else {
            "no answer".to_string()
        };
    }
    (failure, detail)
}

/// Wait a little (used by the batch loop for per-item backoff).
pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}
