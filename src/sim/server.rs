//! The HTTP side of the simulated tenant: a loopback listener serving each connection
//! with hyper, so a fault can close a connection without an answer — before anything is
//! done (reset), or after the request was carried out (commit-then-drop). Inside, an axum
//! router serves the sign-in endpoints and sends every `/v1.0` and `/beta` path to the
//! Graph handler (token check, `$batch`, then [`api::serve`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::api::{self, Headers, Incoming, Reply, Version};
use super::error::ApiError;
use super::faults::{Fault, FaultDice};
use super::odata::PageKeys;
use super::signin::{self, SignIn};
use super::tenant::generate::generate;
use super::tenant::{Tenant, fmt_oid};
use super::throttle::Throttle;
use super::token::{Admin, TokenKind, Tokens};
use super::variants::Variants;
use super::{FaultCounts, SimConfig, SimStats};

/// Largest request body taken (Graph's batch limit is 4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Lifetime of the admin token `Sim::token` hands out.
const ADMIN_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Everything the handlers share.
pub(crate) struct State {
    pub url: String,
    pub tenant_id: String,
    /// Names the sign-in paths accept for the tenant: its id and its domains.
    pub tenant_names: Vec<String>,
    pub admin_token: String,
    pub tokens: Tokens,
    pub stats: Stats,
    pub faults: FaultDice,
    pub throttle: Throttle,
    pub signin: SignIn,
    pub pages: PageKeys,
    latency_us: AtomicU64,
    tenant: RwLock<Tenant>,
    variants: RwLock<Variants>,
}

impl State {
    pub fn read_tenant(&self) -> RwLockReadGuard<'_, Tenant> {
        self.tenant.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_tenant(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.tenant.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn variants(&self) -> Variants {
        self.variants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_variants(&self, v: Variants) {
        *self.variants.write().unwrap_or_else(|e| e.into_inner()) = v;
    }

    pub fn set_latency(&self, d: Duration) {
        self.latency_us.store(
            d.as_micros().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }

    fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_us.load(Ordering::Relaxed))
    }
}

/// Counters behind [`SimStats`].
#[derive(Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    batch_items: AtomicU64,
    writes: AtomicU64,
    throttled: AtomicU64,
    unauthorized: AtomicU64,
    server_error: AtomicU64,
    reset: AtomicU64,
    commit_then_drop: AtomicU64,
}

impl Stats {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn wrote(&self) {
        Self::add(&self.writes, 1);
    }

    pub fn throttled(&self) {
        Self::add(&self.throttled, 1);
    }

    pub fn batch_items(&self, n: u64) {
        Self::add(&self.batch_items, n);
    }

    pub fn snapshot(&self) -> SimStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SimStats {
            requests: get(&self.requests),
            batch_items: get(&self.batch_items),
            writes: get(&self.writes),
            throttled: get(&self.throttled),
            unauthorized: get(&self.unauthorized),
            faults: FaultCounts {
                server_error: get(&self.server_error),
                reset: get(&self.reset),
                commit_then_drop: get(&self.commit_then_drop),
            },
        }
    }
}

/// Stops the server.
pub(crate) struct Handle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Handle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

pub(crate) async fn start(cfg: SimConfig) -> std::io::Result<(Arc<State>, Handle)> {
    let listener = TcpListener::bind(cfg.listen).await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let (seed, users) = (cfg.seed, cfg.users);
    let mut tenant = tokio::task::spawn_blocking(move || generate(seed, users))
        .await
        .map_err(std::io::Error::other)?;
    let tenant_id = fmt_oid(tenant.id);
    let admin = Admin {
        upn: format!("mfa.admin@{}", tenant.initial_domain),
        name: "MFA Admin (simulated)".to_string(),
        oid: fmt_oid(tenant.next_id()),
    };
    let mut tenant_names = vec![tenant_id.clone()];
    tenant_names.extend(tenant.domains.iter().map(|d| d.name.clone()));
    let tokens = Tokens::new(tenant_id.clone(), admin, cfg.token.clone());
    let admin_token = cfg
        .token
        .clone()
        .unwrap_or_else(|| tokens.mint(TokenKind::Delegated, ADMIN_TOKEN_LIFETIME, None));
    let state = Arc::new(State {
        url,
        tenant_id,
        tenant_names,
        admin_token,
        tokens,
        stats: Stats::default(),
        faults: FaultDice::new(cfg.faults),
        throttle: Throttle::new(cfg.quotas),
        signin: SignIn::new(),
        pages: PageKeys::new(),
        latency_us: AtomicU64::new(0),
        tenant: RwLock::new(tenant),
        variants: RwLock::new(cfg.variants.clone()),
    });
    state.set_latency(cfg.latency);
    let router = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(signin::device_code),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(signin::token))
        .route("/devicelogin", get(signin::device_login_page))
        .merge(super::admin_api::routes())
        .fallback(graph)
        .with_state(state.clone());
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, router, state.clone(), stopped));
    Ok((state, Handle { stop, task }))
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors or similar: give the system a moment.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (router, state, mut stop) = (router.clone(), state.clone(), stopped.clone());
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        handle(state.clone(), router.clone(), req)
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = stopped.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}

/// The error that makes hyper close a connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    state: Arc<State>,
    router: Router,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<Response, Dropped> {
    let latency = state.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    Stats::add(&state.stats.requests, 1);
    let fault = if Version::split(req.uri().path()).is_some() {
        state.faults.roll()
    } else {
        None
    };
    match fault {
        Some(Fault::Reset) => {
            Stats::add(&state.stats.reset, 1);
            return Err(Dropped);
        }
        Some(Fault::ServerError {
            status,
            retry_after,
        }) => {
            Stats::add(&state.stats.server_error, 1);
            return Ok(server_error(status, retry_after));
        }
        _ => {}
    }
    let resp = match router.oneshot(req.map(Body::new)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if fault == Some(Fault::CommitThenDrop) {
        Stats::add(&state.stats.commit_then_drop, 1);
        return Err(Dropped);
    }
    Ok(resp)
}

fn server_error(status: u16, retry_after: Option<u32>) -> Response {
    let (code, message) = match status {
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        ),
        504 => (
            "gatewayTimeout",
            "The gateway timed out waiting for the service.",
        ),
        _ => ("generalException", "An internal server error occurred."),
    };
    let mut reply = Reply::error(&ApiError::new(status, code, message), None);
    if let Some(s) = retry_after {
        reply.headers.push(("Retry-After", s.to_string()));
    }
    to_response(reply, None)
}

fn to_response(reply: Reply, client_request_id: Option<&str>) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match &reply.body {
        Some(b) => {
            let mut r = (status, b.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
                ),
            );
            r
        }
        None => status.into_response(),
    };
    let h = resp.headers_mut();
    for (k, v) in &reply.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(*k, v);
        }
    }
    if !h.contains_key("request-id")
        && let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
    {
        h.insert("request-id", v);
    }
    if let Some(c) = client_request_id.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("client-request-id", c);
    }
    resp
}

/// Every `/v1.0/…` and `/beta/…` request.
async fn graph(AxState(st): AxState<Arc<State>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = Headers::from_pairs(
        parts
            .headers
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))),
    );
    let client_id = headers.client_request_id.clone();
    let Some((version, rest)) = Version::split(parts.uri.path()) else {
        let e = ApiError::new(
            400,
            "BadRequest",
            format!(
                "Invalid version in '{}': Graph paths start with /v1.0 or /beta.",
                parts.uri.path()
            ),
        );
        return to_response(Reply::error(&e, client_id.as_deref()), client_id.as_deref());
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(
                413,
                "Request_EntityTooLarge",
                "The request body is too large (at most 4 MB).",
            );
            return to_response(Reply::error(&e, client_id.as_deref()), client_id.as_deref());
        }
    };
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match st.tokens.verify(auth) {
        Ok(c) => c,
        Err(e) => {
            Stats::add(&st.stats.unauthorized, 1);
            let err = ApiError::new(401, "InvalidAuthenticationToken", e.message());
            let mut resp = to_response(
                Reply::error(&err, client_id.as_deref()),
                client_id.as_deref(),
            );
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"\", error=\"invalid_token\""),
            );
            return resp;
        }
    };
    let reply = if rest.eq_ignore_ascii_case("/$batch") {
        if parts.method != Method::POST {
            Reply::error(&ApiError::method_not_allowed(), client_id.as_deref())
        } else {
            api::run_batch(&st, &caller, version, &headers, &bytes)
        }
    } else {
        api::serve(
            &st,
            &caller,
            &Incoming {
                version,
                method: parts.method.clone(),
                path: rest,
                query: parts.uri.query(),
                headers,
                body: &bytes,
                in_batch: false,
            },
        )
    };
    to_response(reply, client_id.as_deref())
}
