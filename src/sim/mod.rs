//! The simulated tenant: a Graph-compatible HTTP server on loopback for the demo, the
//! tests and the benchmarks.
//!
//! It keeps its own model of a tenant (`tenant`) and writes Graph's JSON itself (`api`),
//! from graph-api.md and never from the client's types: kept apart, the client and the
//! simulation check each other (architecture.md, "a second opinion"). Around the model sit
//! what a real tenant adds on the wire: bearer tokens and the sign-in endpoints
//! (`token`, `signin`), the identity service's throttling (`throttle`), and injected
//! latency and faults (`faults`), all served by `server`.

mod admin_api;
mod api;
mod error;
mod faults;
mod odata;
mod otp;
mod phone_format;
mod server;
mod signin;
mod tenant;
mod throttle;
mod token;
mod variants;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use faults::{FaultSpec, FaultSpecError};
pub use signin::DeviceFlow;
pub use tenant::admin::{AdminError, TenantAdmin};
pub use tenant::generate::names as group_names;
pub use tenant::view::{
    DeviceView, GroupView, RolloutView, TenantSummary, TenantView, UserView, WriteOp, WriteRecord,
};
pub use tenant::{DefaultMethod, DeviceStatus, MethodConfigId, PerUserMfa, PhoneType};
pub use throttle::Quotas;
pub use token::{ROLE_IDS, TokenKind};
pub use variants::{
    DeviceListShape, FedPatchStatus, PolicyMigrationState, ScopeRefusalCode, SimCloud, Variants,
};

/// How to start a simulated tenant. `SimConfig { users: 50, ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the generated organisation (the same as `sample-data --seed`).
    pub seed: u64,
    /// People in the organisation: the same people as `sample-data --users N --seed S`.
    pub users: usize,
    /// Where to listen; loopback only.
    pub listen: SocketAddr,
    /// Added to every HTTP response.
    pub latency: Duration,
    /// Injected faults (none by default).
    pub faults: FaultSpec,
    /// `None`: no throttling; `Some(Quotas::graph_default())`: Graph's identity limits.
    pub quotas: Option<Quotas>,
    /// A fixed bearer token accepted as the delegated admin; otherwise one is minted.
    pub token: Option<String>,
    /// Documented variants of Graph's behaviour to serve (none by default).
    pub variants: Variants,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            users: 1000,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency: Duration::ZERO,
            faults: FaultSpec::default(),
            quotas: None,
            token: None,
            variants: Variants::default(),
        }
    }
}

/// Counters since start. Every field only grows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// HTTP requests received (Graph and sign-in).
    pub requests: u64,
    /// Requests inside `$batch` envelopes.
    pub batch_items: u64,
    /// Writes applied to the tenant (including those whose response was then dropped).
    pub writes: u64,
    /// Requests and batch items answered 429.
    pub throttled: u64,
    /// Requests answered 401 (no token, a bad one, an expired one).
    pub unauthorized: u64,
    /// Faults injected, by kind.
    pub faults: FaultCounts,
}

/// Injected faults by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// 500, 503 or 504 answered without doing anything.
    pub server_error: u64,
    /// Connections dropped before doing anything.
    pub reset: u64,
    /// Requests carried out whose response was then dropped with the connection.
    pub commit_then_drop: u64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        self.server_error + self.reset + self.commit_then_drop
    }
}

/// A running simulated tenant. Dropping it stops the server; [`Sim::shutdown`] also waits
/// for the connections to close.
pub struct Sim {
    state: Arc<server::State>,
    handle: server::Handle,
}

impl Sim {
    /// Generate the tenant and listen; ready when it returns. Refuses a non-loopback
    /// `listen` address: the sim accepts a printed token and must not be reachable.
    pub async fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        if !cfg.listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the simulated tenant listens on loopback only, not on {}",
                    cfg.listen
                ),
            ));
        }
        let (state, handle) = server::start(cfg).await?;
        Ok(Sim { state, handle })
    }

    /// The Graph root, e.g. `http://127.0.0.1:41234`: clients append `/v1.0` or `/beta`.
    /// It is also the authority host of the sign-in endpoints
    /// (`{url}/{tenant}/oauth2/v2.0/devicecode` and `/token`).
    pub fn url(&self) -> &str {
        &self.state.url
    }

    /// The tenant id (also accepted in the sign-in paths, as are both domain names).
    pub fn tenant_id(&self) -> &str {
        &self.state.tenant_id
    }

    /// A delegated token of the signed-in admin: Authentication Administrator, Privileged
    /// Authentication Administrator, Hybrid Identity Administrator and Authentication
    /// Policy Administrator, with every scope the tool needs. Valid for 24 hours.
    pub fn token(&self) -> &str {
        &self.state.admin_token
    }

    /// An app-only token with the application permissions the tool needs (Staged
    /// Rollout refuses it, as Graph does).
    pub fn app_token(&self) -> String {
        self.state
            .tokens
            .mint(TokenKind::App, Duration::from_secs(3600), None)
    }

    /// A token of the given kind and lifetime; `scopes` (delegated) or application
    /// permissions (app) replace the full set when given. A zero lifetime gives a token
    /// that is already expired.
    pub fn mint_token(
        &self,
        kind: TokenKind,
        lifetime: Duration,
        scopes: Option<&[&str]>,
    ) -> String {
        self.state.tokens.mint(kind, lifetime, scopes)
    }

    pub fn stats(&self) -> SimStats {
        self.state.stats.snapshot()
    }

    pub fn set_faults(&self, f: FaultSpec) {
        self.state.faults.set(f);
    }

    pub fn set_latency(&self, d: Duration) {
        self.state.set_latency(d);
    }

    /// Replace the quotas (`None` turns throttling off); the buckets start full.
    pub fn set_quotas(&self, q: Option<Quotas>) {
        self.state.throttle.set(q);
    }

    /// Serve other documented variants from now on.
    pub fn set_variants(&self, v: Variants) {
        self.state.set_variants(v);
    }

    pub fn variants(&self) -> Variants {
        self.state.variants()
    }

    /// Pace of the device-code sign-in (interval, polls before approval, expiry, denial).
    pub fn set_device_flow(&self, flow: DeviceFlow) {
        self.state.signin.set_flow(flow);
    }

    /// Read-only access to the tenant for tests and summaries.
    pub fn inspect<R>(&self, f: impl FnOnce(&TenantView) -> R) -> R {
        let guard = self.state.read_tenant();
        f(&TenantView::new(&guard))
    }

    /// Change the tenant in ways Graph cannot (register an authenticator, disable a
    /// method in the policy, add a group): test and demo setup. Not logged as writes.
    pub fn configure<R>(&self, f: impl FnOnce(&mut TenantAdmin) -> R) -> R {
        let mut guard = self.state.write_tenant();
        let mut admin = TenantAdmin::new(&mut guard);
        f(&mut admin)
    }

    /// Stop listening, close the connections and wait for them.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").field("url", &self.state.url).finish()
    }
}
