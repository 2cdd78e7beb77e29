//! What every service of the engine shares: the Graph clients, the state store, the
//! event channel, the clock, the tenant and the session, and the data set with the
//! settings it is matched under. The core owns one [`Ctx`] and lends it to the service a
//! command or a report is for; tasks a service spawns clone what they need.
//!
//! Services hear back from their own tasks through an [`Inbox`] of their own message
//! type; the core wraps each inbox into its routing, so no service knows the core or
//! another service (no import cycles).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::protocol::{
    Answer, EngineError, Event, Refusal, RefusalKind, Reply, RequestId, SessionInfo,
};
use super::store::Store;
use crate::capability::Capabilities;
use crate::clock::Clock;
use crate::datafile::DataSet;
use crate::graph::{GraphClient, Identity};
use crate::migrate::{Matcher, MigrationSettings};

/// Sends a service's reports back to the engine task, wrapped for the core's routing.
pub(crate) struct Inbox<M> {
    send: Arc<dyn Fn(M) -> bool + Send + Sync>,
}

impl<M> Clone for Inbox<M> {
    fn clone(&self) -> Self {
        Inbox {
            send: self.send.clone(),
        }
    }
}

impl<M: Send + 'static> Inbox<M> {
    pub(crate) fn new<I: Send + 'static>(
        tx: mpsc::UnboundedSender<I>,
        wrap: impl Fn(M) -> I + Send + Sync + 'static,
    ) -> Inbox<M> {
        Inbox {
            send: Arc::new(move |m| tx.send(wrap(m)).is_ok()),
        }
    }

    /// `false` once the engine is gone.
    pub(crate) fn send(&self, m: M) -> bool {
        (self.send)(m)
    }
}

/// The engine's side of the event channel.
#[derive(Clone)]
pub(crate) struct Events {
    tx: mpsc::Sender<Event>,
}

impl Events {
    pub(crate) fn new(tx: mpsc::Sender<Event>) -> Events {
        Events { tx }
    }

    pub(crate) async fn send(&self, event: Event) {
        let _ = self.tx.send(event).await;
    }

    pub(crate) async fn reply(&self, request: RequestId, outcome: Result<Answer, Refusal>) {
        if let Err(r) = &outcome {
            tracing::info!(%request, kind = ?r.kind, message = %r.message, "request refused");
        }
        self.send(Event::Reply(Reply { request, outcome })).await;
    }

    pub(crate) async fn answer(&self, request: RequestId, answer: Answer) {
        self.reply(request, Ok(answer)).await;
    }

    pub(crate) async fn refuse(
        &self,
        request: RequestId,
        kind: RefusalKind,
        message: impl Into<String>,
    ) {
        self.reply(request, Err(Refusal::new(kind, message))).await;
    }

    /// A failure to show; `request` when it happened along the way of one.
    pub(crate) async fn error(
        &self,
        request: Option<RequestId>,
        context: impl Into<String>,
        message: impl Into<String>,
    ) {
        let context = context.into();
        let message = message.into();
        tracing::warn!(%context, %message, "engine error");
        self.send(Event::Error(EngineError {
            request,
            context,
            message,
        }))
        .await;
    }
}

/// The session the engine acts in.
#[derive(Clone)]
pub(crate) struct Session {
    /// The main sign-in's client: methods, directory reads, policy, federation.
    pub graph: GraphClient,
    pub identity: Identity,
    /// An admin signed in beside an app-only session, for what refuses apps.
    pub delegated: Option<(GraphClient, Identity)>,
    pub capabilities: Capabilities,
    /// Why this process only reads the state store, if it does.
    pub read_only: Option<String>,
    /// What the sign-in asked for and Entra refused.
    pub refused: Vec<crate::graph::auth::RefusedCapability>,
}

impl Session {
    pub(crate) fn new(
        graph: GraphClient,
        identity: Identity,
        read_only: Option<String>,
        refused: Vec<crate::graph::auth::RefusedCapability>,
    ) -> Self {
        let capabilities =
            Capabilities::with_refusals(&identity, None, read_only.as_deref(), &refused);
        Session {
            graph,
            identity,
            delegated: None,
            capabilities,
            read_only,
            refused,
        }
    }

    /// Capabilities again (after a delegated sign-in or incremental consent).
    pub(crate) fn recompute(&mut self) {
        self.capabilities = Capabilities::with_refusals(
            &self.identity,
            self.delegated.as_ref().map(|(_, i)| i),
            self.read_only.as_deref(),
            &self.refused,
        );
    }

    /// The client for domains that need a delegated sign-in (Staged Rollout): the admin
    /// signed in beside an app, else the session's own.
    #[allow(dead_code)] // the rollout service's, next
    pub(crate) fn admin_graph(&self) -> &GraphClient {
        self.delegated.as_ref().map_or(&self.graph, |(g, _)| g)
    }

    /// Who is audited as having made a change through `admin_graph`.
    #[allow(dead_code)] // the rollout service's, next
    pub(crate) fn admin_actor(&self) -> &str {
        self.delegated
            .as_ref()
            .map_or(self.identity.account.as_str(), |(_, i)| i.account.as_str())
    }

    pub(crate) fn set_delegated(&mut self, graph: GraphClient, identity: Identity) {
        self.delegated = Some((graph, identity));
        self.recompute();
    }

    pub(crate) fn info(&self) -> SessionInfo {
        SessionInfo {
            identity: self.identity.clone(),
            delegated: self.delegated.as_ref().map(|(_, i)| i.clone()),
            capabilities: self.capabilities.clone(),
        }
    }
}

/// The context every service works in.
pub(crate) struct Ctx {
    pub session: Session,
    pub store: Store,
    pub events: Events,
    pub clock: Arc<dyn Clock>,
    /// The tenant id the store keys everything by.
    pub tenant: String,
    pub data: Arc<DataSet>,
    pub settings: MigrationSettings,
    /// Indexes over `data` under `settings` (rules M1–M3), rebuilt when either changes.
    pub matcher: Arc<Matcher>,
    /// Users written at once; the limiter paces them.
    pub concurrency: usize,
    /// Not signed in (`SignIn::Offline`): nothing can be read back from the tenant, so
    /// open journal entries wait for a signed-in start.
    pub offline: bool,
}

impl Ctx {
    pub(crate) fn graph(&self) -> &GraphClient {
        &self.session.graph
    }

    /// The actor audit entries name: the token's subject.
    pub(crate) fn actor(&self) -> &str {
        &self.session.identity.account
    }

    /// Replace the data set (a reload found it changed); matching is rebuilt.
    pub(crate) fn set_data(&mut self, data: Arc<DataSet>) {
        self.matcher = Arc::new(Matcher::new(&data, &self.settings));
        self.data = data;
    }

    /// New settings; returns whether members must be matched again (M3's attribute).
    pub(crate) fn set_settings(&mut self, mut s: MigrationSettings) -> bool {
        // Hardware OATH and phone updates depend on the cloud signed in to, not on a
        // setting.
        s.keep_cloud_of(&self.settings);
        let rematch = s.match_attribute != self.settings.match_attribute;
        self.settings = s;
        if rematch {
            self.matcher = Arc::new(Matcher::new(&self.data, &self.settings));
        }
        rematch
    }
}
