//! A front end's side of the engine: [`EngineClient`] sends commands (each stamped with a
//! request id) and [`EngineHandle`] adds the event stream with "send a request, await its
//! answer" — the one driver the CLI and the tests share. The TUI takes the two apart: its
//! loop sends without waiting and reads every event.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::protocol::{Answer, Command, Event, Refusal, Request, RequestId};

/// The engine stopped: it takes no more commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine stopped")]
pub struct EngineGone;

/// Hands out request ids; shared by everything that sends to one engine, so no two
/// requests carry the same id.
#[derive(Debug, Clone)]
pub struct RequestIds(Arc<AtomicU64>);

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds(Arc::new(AtomicU64::new(1)))
    }
}

impl RequestIds {
    pub fn next(&self) -> RequestId {
        RequestId(self.0.fetch_add(1, Ordering::Relaxed))
    }

    /// `command` stamped with the next id.
    pub fn request(&self, command: Command) -> Request {
        Request {
            id: self.next(),
            command,
        }
    }
}

/// Sends commands to the engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EngineClient {
    tx: mpsc::Sender<Request>,
    ids: RequestIds,
}

impl EngineClient {
    pub(crate) fn new(tx: mpsc::Sender<Request>) -> EngineClient {
        EngineClient {
            tx,
            ids: RequestIds::default(),
        }
    }

    /// The ids this client stamps requests with (a front end that builds its requests
    /// itself takes them from here).
    pub fn ids(&self) -> RequestIds {
        self.ids.clone()
    }

    fn stamp(&self, command: Command) -> Request {
        self.ids.request(command)
    }

    /// Send a request built elsewhere (with [`EngineClient::ids`]) without waiting; the
    /// request back when the queue is full.
    pub fn try_send_request(&self, req: Request) -> Result<Option<Request>, EngineGone> {
        match self.tx.try_send(req) {
            Ok(()) => Ok(None),
            Err(mpsc::error::TrySendError::Full(r)) => Ok(Some(r)),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(EngineGone),
        }
    }

    /// Wait for room in the queue and send a request built elsewhere.
    pub async fn send_request(&self, req: Request) -> Result<(), EngineGone> {
        self.tx.send(req).await.map_err(|_| EngineGone)
    }

    /// Send, waiting for room in the queue; the id its answer will carry.
    pub async fn send(&self, command: Command) -> Result<RequestId, EngineGone> {
        let req = self.stamp(command);
        let id = req.id;
        self.tx.send(req).await.map_err(|_| EngineGone)?;
        Ok(id)
    }

    /// Send without waiting (the TUI's loop never blocks); `Ok(None)` when the queue is
    /// full and the command was not sent.
    pub fn try_send(&self, command: Command) -> Result<Option<RequestId>, EngineGone> {
        let req = self.stamp(command);
        let id = req.id;
        match self.tx.try_send(req) {
            Ok(()) => Ok(Some(id)),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(None),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(EngineGone),
        }
    }
}

/// Why a call did not get an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("the engine stopped before it answered")]
    Gone,
}

/// The engine: commands out, events in.
#[derive(Debug)]
pub struct EngineHandle {
    pub client: EngineClient,
    events: mpsc::Receiver<Event>,
}

impl EngineHandle {
    pub(crate) fn new(client: EngineClient, events: mpsc::Receiver<Event>) -> EngineHandle {
        EngineHandle { client, events }
    }

    /// The next event; `None` once the engine has stopped and every event was read.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Send `command` and wait for its answer; every other event on the way is handed
    /// to `on_event` (progress, members, errors).
    pub async fn call(
        &mut self,
        command: Command,
        mut on_event: impl FnMut(&Event),
    ) -> Result<Answer, CallError> {
        let id = self
            .client
            .send(command)
            .await
            .map_err(|_| CallError::Gone)?;
        loop {
            let Some(event) = self.events.recv().await else {
                return Err(CallError::Gone);
            };
            if let Some(outcome) = answer_of(id, &event) {
                return outcome.map_err(CallError::Refused);
            }
            on_event(&event);
        }
    }

    /// The two halves, for a front end that reads events in its own loop.
    pub fn split(self) -> (EngineClient, mpsc::Receiver<Event>) {
        (self.client, self.events)
    }

    /// A handle wired to an [`EngineEnd`] instead of an engine: tests play the engine's
    /// part (take requests, send events) through it.
    pub fn pair(capacity: usize) -> (EngineHandle, EngineEnd) {
        let (req_tx, req_rx) = mpsc::channel(capacity.max(1));
        let (ev_tx, ev_rx) = mpsc::channel(capacity.max(1));
        (
            EngineHandle::new(EngineClient::new(req_tx), ev_rx),
            EngineEnd {
                requests: req_rx,
                events: ev_tx,
            },
        )
    }
}

/// The engine's end of an [`EngineHandle::pair`].
#[derive(Debug)]
pub struct EngineEnd {
    pub requests: mpsc::Receiver<Request>,
    pub events: mpsc::Sender<Event>,
}

/// `event` as the answer to `id`, if it is.
pub fn answer_of(id: RequestId, event: &Event) -> Option<Result<Answer, Refusal>> {
    match event {
        Event::Reply(r) if r.request == id => Some(r.outcome.clone()),
        _ => None,
    }
}
