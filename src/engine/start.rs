//! Start-up, the one way every front end gets a running engine (the TUI, the demo, every
//! headless command, the tests): take the state dir's lock when the command writes →
//! read the data file → sign in → check the token with Graph → open the state store →
//! spawn the engine. Front ends pass options and get an [`EngineHandle`] with the
//! session's capabilities; they never build a Graph client or sign in themselves.
//!
//! The lock comes first: a second writer is refused at once, before a device code is
//! shown or a data file read, and a refused process creates nothing in the state dir.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::client::{EngineClient, EngineHandle};
use super::context::{Ctx, Events, Session as EngineSession};
use super::core::{self, Parts};
use super::lock::{LockError, StateLock};
use super::protocol::SessionInfo;
use super::store::{Store, StoreError};
use super::{DataLoader, channel_capacity};
use crate::clock::Clock;
use crate::config::{AuthKind, Config};
use crate::datafile::DataSet;
use crate::graph::auth::{
    AuthError, Capability as GraphCapability, CapabilitySet, PromptFn, Session, SignInOptions,
    sign_in,
};
use crate::graph::model::Domain;
use crate::graph::{ClientOptions, GraphClient, GraphRoot, Identity, Limits};
use crate::migrate::{Matcher, MigrationSettings};

/// How the engine gets its session.
pub enum SignIn {
    /// Sign in per `--auth` (or `default` when none is configured); a device code is
    /// shown through `prompt`.
    AsConfigured { default: AuthKind, prompt: PromptFn },
    /// Already signed in (the demo and the tests sign in with the simulated tenant's
    /// token).
    Ready(Session),
    /// No sign-in: the tool's own records and local decisions (`audit`, `journal`,
    /// `inventory --decide`). Every Graph call is refused before it leaves; the tenant is
    /// the one the store holds, or `--tenant` when it holds several; the actor the
    /// local account.
    Offline,
}

/// The token source of an offline engine: every request is refused before it leaves.
struct OfflineToken;

impl crate::graph::auth::TokenSource for OfflineToken {
    fn token(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<crate::graph::auth::AccessToken, AuthError>> {
        Box::pin(async {
            Err(AuthError::Config(
                "this command works offline on the state store: it does not sign in".into(),
            ))
        })
    }

    fn describe(&self) -> &'static str {
        "offline (no sign-in)"
    }
}

/// Whether this process writes the state store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Take the state dir's lock for `command`; refused if another process holds it.
    Write { command: String },
    /// Take the lock if it is free, else only read (the TUI: look around while a sync
    /// runs elsewhere; every write is refused and says why).
    WriteIfFree { command: String },
    /// Never write (plan, status, audit).
    ReadOnly,
}

/// What a front end asks of start-up.
pub struct StartOptions {
    pub config: Config,
    pub settings: MigrationSettings,
    pub sign_in: SignIn,
    pub access: Access,
    /// Look up the tenant's primary domain for the header (the TUI).
    pub name_tenant: bool,
    pub clock: Arc<dyn Clock>,
    /// Graph pacing; default from `[graph]` of the config.
    pub limits: Option<Limits>,
    /// Automatic sync from the start (`sync --interval`).
    pub sync_interval: Option<Duration>,
    /// How long a `ReadMethods` answer is reused.
    pub methods_ttl: Duration,
    /// Re-read the data file each sync cycle (default: yes, from the configured inputs).
    pub reload: bool,
    /// Whether the command works on MFA Server data.
    pub data: DataUse,
    /// What the sign-in asks Graph for: a command asks only for what it uses (more can
    /// be consented to later, from the TUI).
    pub capabilities: CapabilitySet,
    /// Stop start-up when Graph refuses the token (401); `whoami` reports it instead.
    pub refuse_unauthorized: bool,
}

/// Whether a command needs the data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataUse {
    /// A data file must be configured (migration work).
    Required,
    /// Read it when one is configured (status commands that can say more with it).
    IfConfigured,
    /// Do not read it (`whoami`).
    Skip,
}

/// What the first Graph call at start-up found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphCheck {
    pub root: String,
    /// The host the token is sent to.
    pub host: String,
    pub reachable: bool,
    /// Graph answered 401: the token is not accepted (not signed in, whatever it claims).
    pub unauthorized: bool,
    pub domains: Vec<DomainLine>,
    pub error: Option<String>,
}

/// A tenant domain as start-up saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainLine {
    pub id: String,
    pub authentication_type: Option<String>,
    pub is_verified: Option<bool>,
}

impl From<&Domain> for DomainLine {
    fn from(d: &Domain) -> DomainLine {
        DomainLine {
            id: d.id.clone(),
            authentication_type: d.authentication_type.as_ref().map(|t| t.to_string()),
            is_verified: d.is_verified,
        }
    }
}

impl StartOptions {
    pub fn new(config: Config, sign_in: SignIn, access: Access) -> StartOptions {
        StartOptions {
            settings: config.migration.clone(),
            config,
            sign_in,
            access,
            name_tenant: false,
            clock: Arc::new(crate::clock::SystemClock),
            limits: None,
            sync_interval: None,
            methods_ttl: Duration::from_secs(60),
            reload: true,
            data: DataUse::Required,
            capabilities: CapabilitySet::EMPTY.with(GraphCapability::Migration),
            refuse_unauthorized: true,
        }
    }
}

/// Why start-up stopped.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data file could not be read (a file problem).
    #[error("{0}")]
    Data(String),
    #[error(transparent)]
    SignIn(#[from] AuthError),
    /// Graph refused the token outright.
    #[error("{0}")]
    TokenRefused(String),
    /// Another process writes the state store.
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration cannot work (a bad Graph root).
    #[error("{0}")]
    Config(String),
}

/// A running engine and what the front end keeps of start-up.
#[derive(Debug)]
pub struct Running {
    pub engine: EngineHandle,
    pub session: SessionInfo,
    pub data: Arc<DataSet>,
    /// Why this process only reads the state store, if it does.
    pub read_only: Option<String>,
    /// The first Graph call: reachable, and the tenant's domains.
    pub graph: GraphCheck,
    /// `--auth` kind and how tokens are obtained.
    pub auth: (&'static str, &'static str),
}

/// Read the data file(s) the configuration names.
pub fn load_data(config: &Config) -> Result<DataSet, String> {
    crate::datafile::load(&config.data_files, config.mapping.as_deref()).map_err(|e| e.to_string())
}

/// The name a tenant goes by: its default domain, else its first verified one.
pub fn primary_domain(domains: &[Domain]) -> Option<String> {
    domains
        .iter()
        .find(|d| d.is_default == Some(true))
        .or_else(|| domains.iter().find(|d| d.is_verified == Some(true)))
        .map(|d| d.id.clone())
}

/// The tenant id the store keys everything by.
fn tenant_of(identity: &Identity) -> String {
    if !identity.tenant_id.trim().is_empty() {
        identity.tenant_id.clone()
    } else {
        identity
            .tenant_name
            .clone()
            .unwrap_or_else(|| "unknown-tenant".to_string())
    }
}

/// A device-code sign-in the engine can start later, beside an app-only session, for
/// what refuses apps (Staged Rollout).
#[derive(Clone)]
pub(crate) struct DelegatedSignIn {
    config: Config,
    options: ClientOptions,
}

impl DelegatedSignIn {
    pub(crate) async fn sign_in(
        &self,
        prompt: PromptFn,
    ) -> Result<(GraphClient, Identity), String> {
        let mut opts = SignInOptions::from_config(&self.config, AuthKind::DeviceCode)
            .map_err(|e| e.to_string())?;
        opts.kind = AuthKind::DeviceCode;
        opts.prompt = Some(prompt);
        opts.capabilities = CapabilitySet::ALL;
        let session = sign_in(opts).await.map_err(|e| e.to_string())?;
        let client = GraphClient::new(session.tokens.clone(), self.options.clone())
            .map_err(|e| e.to_string())?;
        Ok((client, session.identity))
    }
}

/// Start the engine as `opts` says.
pub async fn start(opts: StartOptions) -> Result<Running, StartError> {
    let StartOptions {
        config,
        mut settings,
        sign_in: how,
        access,
        name_tenant,
        clock,
        limits,
        sync_interval,
        methods_ttl,
        reload,
        data: data_use,
        capabilities,
        refuse_unauthorized,
    } = opts;

    // 1. The lock, before anything else touches the state dir or the admin's time.
    let (lock, read_only) = match &access {
        Access::Write { command } => (
            Some(StateLock::acquire(&config.state_dir, command, clock.now())?),
            None,
        ),
        Access::WriteIfFree { command } => {
            match StateLock::acquire(&config.state_dir, command, clock.now()) {
                Ok(lock) => (Some(lock), None),
                Err(e @ LockError::Held { .. }) => {
                    tracing::warn!(error = %e, "the state store is held: reading only");
                    (None, Some(read_only_reason(&e)))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Access::ReadOnly => (None, Some("this command only reads".to_string())),
    };

    // 2. The data.
    let read = match data_use {
        DataUse::Required => {
            if config.data_files.is_empty() {
                return Err(StartError::Data(
                    "no MFA Server data: pass --data-file PATH (or `data_file` in the config \
                     file)"
                        .to_string(),
                ));
            }
            true
        }
        DataUse::IfConfigured => !config.data_files.is_empty(),
        DataUse::Skip => false,
    };
    let data = if read {
        let owned = config.clone();
        tokio::task::spawn_blocking(move || load_data(&owned))
            .await
            .map_err(|e| StartError::Data(format!("reading the data file stopped: {e}")))?
            .map_err(StartError::Data)?
    } else {
        DataSet::default()
    };
    let data = Arc::new(data);

    // 3. The store (the lock decides whether it is written).
    let store = match lock {
        Some(lock) => Store::open(lock, clock.clone())?,
        None => Store::open_read_only(&config.state_dir, clock.clone())?,
    };

    // 4. The session, and one cheap call that proves the token.
    let is_offline = matches!(how, SignIn::Offline);
    let signed = match how {
        SignIn::Offline => offline(&config, &store)?,
        SignIn::AsConfigured { default, prompt } => {
            let mut o = SignInOptions::from_config(&config, default)?;
            o.prompt = Some(prompt);
            o.capabilities = capabilities;
            let session = sign_in(o).await?;
            online(
                &config,
                session,
                true,
                limits,
                name_tenant,
                refuse_unauthorized,
            )
            .await?
        }
        SignIn::Ready(session) => {
            online(
                &config,
                session,
                false,
                limits,
                name_tenant,
                refuse_unauthorized,
            )
            .await?
        }
    };
    let Signed {
        client,
        identity,
        refused,
        graph,
        calls,
        delegated,
        auth,
        describe,
    } = signed;

    // 6. The engine.
    settings.set_cloud(identity.cloud);
    let (req_tx, req_rx) = mpsc::channel(channel_capacity());
    let (ev_tx, ev_rx) = mpsc::channel(channel_capacity());
    let engine_session = EngineSession::new(client, identity, read_only.clone(), refused);
    let info = engine_session.info();
    let reload_config = config.clone();
    let ctx = Ctx {
        tenant: tenant_of(&engine_session.identity),
        matcher: Arc::new(Matcher::new(&data, &settings)),
        session: engine_session,
        store,
        events: Events::new(ev_tx),
        clock,
        data: data.clone(),
        settings,
        concurrency: config.graph.concurrency.max(1),
        offline: is_offline,
    };
    let parts = Parts {
        ctx,
        calls,
        config_group: config.group.clone(),
        sync_interval,
        methods_ttl,
        reload: reload.then(|| -> DataLoader { Arc::new(move || load_data(&reload_config)) }),
        delegated,
        auth,
        waves: config.waves.clone(),
        inventory: config.inventory.clone(),
    };
    tokio::spawn(core::run(parts, req_rx));
    Ok(Running {
        engine: EngineHandle::new(EngineClient::new(req_tx), ev_rx),
        session: info,
        data,
        read_only,
        graph,
        auth: describe,
    })
}

/// What sign-in gave the engine.
struct Signed {
    client: GraphClient,
    identity: Identity,
    refused: Vec<crate::graph::auth::RefusedCapability>,
    graph: GraphCheck,
    calls: Option<mpsc::UnboundedReceiver<crate::graph::CallRecord>>,
    delegated: Option<DelegatedSignIn>,
    auth: Option<Arc<tokio::sync::Mutex<Session>>>,
    describe: (&'static str, &'static str),
}

/// A signed-in session: its client, the 401 check, the tenant's budget.
async fn online(
    config: &Config,
    session: Session,
    signed_in_here: bool,
    limits: Option<Limits>,
    name_tenant: bool,
    refuse_unauthorized: bool,
) -> Result<Signed, StartError> {
    let root = GraphRoot::resolve(config.cloud, config.graph_url.as_deref())
        .map_err(|e| StartError::Config(e.to_string()))?;
    let limits = limits.unwrap_or_else(|| Limits::from_settings(&config.graph));
    let (observer, calls) = {
        let (tx, rx) = mpsc::unbounded_channel();
        (crate::graph::channel_observer(tx), rx)
    };
    let mut options = ClientOptions::new(root, limits);
    options.observer = Some(observer);
    let client = GraphClient::new(session.tokens.clone(), options.clone())
        .map_err(|e| StartError::Config(e.to_string()))?;
    for f in session.findings() {
        tracing::warn!("sign-in: {f}");
    }

    // One cheap call proves the token before anything waits on Graph: a token Graph
    // refuses (expired, for another resource) stops here with what to do, instead of
    // every later call failing.
    let mut identity = session.identity.clone();
    let mut graph = GraphCheck {
        root: client.root().as_str().to_string(),
        host: client.root().host(),
        reachable: false,
        unauthorized: false,
        domains: Vec::new(),
        error: None,
    };
    match tokio::time::timeout(Duration::from_secs(30), client.list_domains()).await {
        Ok(Ok(domains)) => {
            if name_tenant && identity.tenant_name.is_none() {
                identity.tenant_name = primary_domain(&domains);
            }
            graph.reachable = true;
            graph.domains = domains.iter().map(DomainLine::from).collect();
        }
        Ok(Err(e)) if e.status() == Some(401) && refuse_unauthorized => {
            return Err(StartError::TokenRefused(format!(
                "Microsoft Graph refused the token (401 Unauthorized: {}). It has expired or \
                 was issued for another resource or tenant: sign in again (for --auth token, \
                 get a new one with `az account get-access-token --resource-type ms-graph`)",
                e.explanation()
            )));
        }
        Ok(Err(e)) => {
            tracing::warn!("reading the tenant's domains: {e}");
            graph.unauthorized = e.status() == Some(401);
            // Reachable: Graph answered, if only to refuse this one read.
            graph.reachable = e.status().is_some();
            graph.error = Some(e.explanation());
        }
        Err(_) => {
            tracing::warn!("reading the tenant's domains: no answer in 30 s");
            graph.error = Some("no answer in 30 s".to_string());
        }
    }

    // Graph's identity budget by the tenant's size (graph-api.md §9), unless configured.
    match tokio::time::timeout(Duration::from_secs(30), client.budget_by_tenant_size()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!("counting the tenant's users for its Graph budget: {e}"),
        Err(_) => tracing::warn!("counting the tenant's users: no answer in 30 s"),
    }
    Ok(Signed {
        client,
        identity,
        refused: session.refused.clone(),
        graph,
        calls: Some(calls),
        delegated: signed_in_here.then(|| DelegatedSignIn {
            config: config.clone(),
            options,
        }),
        describe: (session.kind.name(), session.tokens.describe()),
        auth: signed_in_here.then(|| Arc::new(tokio::sync::Mutex::new(session))),
    })
}

/// No sign-in: the tenant the store holds (or `--tenant`), a client that refuses every
/// call, the local account as the actor.
fn offline(config: &Config, store: &Store) -> Result<Signed, StartError> {
    let tenants = store.tenants()?;
    let tenant = match (config.tenant.as_deref(), tenants.as_slice()) {
        (Some(t), _) if tenants.iter().any(|x| x.eq_ignore_ascii_case(t)) => t.to_string(),
        (_, [one]) => one.clone(),
        (_, []) => config.tenant.clone().unwrap_or_default(),
        (_, many) => {
            return Err(StartError::Config(format!(
                "the state store holds records of {} tenants ({}): pass --tenant with the \
                 tenant id of the one to use",
                many.len(),
                many.join(", ")
            )));
        }
    };
    let root = GraphRoot::resolve(config.cloud, config.graph_url.as_deref())
        .map_err(|e| StartError::Config(e.to_string()))?;
    let options = ClientOptions::new(root.clone(), Limits::from_settings(&config.graph));
    let client = GraphClient::new(Arc::new(OfflineToken), options)
        .map_err(|e| StartError::Config(e.to_string()))?;
    let identity = Identity {
        tenant_id: tenant,
        tenant_name: None,
        cloud: config.cloud,
        account: local_account(),
        kind: crate::graph::TokenKind::Delegated,
        roles: Vec::new(),
        permissions: Vec::new(),
        expires_at: None,
        simulated: root.is_loopback(),
    };
    Ok(Signed {
        client,
        identity,
        refused: Vec::new(),
        graph: GraphCheck {
            root: root.as_str().to_string(),
            host: root.host(),
            reachable: false,
            unauthorized: false,
            domains: Vec::new(),
            error: Some("offline: not asked".into()),
        },
        calls: None,
        delegated: None,
        auth: None,
        describe: ("offline", "offline (no sign-in)"),
    })
}

/// Who acts when nobody signed in: the operating system's account, marked local.
fn local_account() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "{} (local account, not signed in)",
        crate::safe_text::terminal(&user)
    )
}

/// Start an engine that reads only this tool's own records (`audit`, `journal`): no
/// sign-in, no data file, the state store read-only.
pub async fn start_offline(config: Config, clock: Arc<dyn Clock>) -> Result<Running, StartError> {
    let mut o = StartOptions::new(config, SignIn::Offline, Access::ReadOnly);
    o.clock = clock;
    o.data = DataUse::Skip;
    o.reload = false;
    start(o).await
}

/// The refusal a writer got, as the reason this process only reads.
fn read_only_reason(e: &LockError) -> String {
    match e {
        LockError::Held {
            holder: Some(h), ..
        } => format!("another mfa-cutover writes the state store: {h}"),
        _ => "another mfa-cutover writes the state store".to_string(),
    }
}
