//! The one loop: engine events, terminal input and timers joined in a biased
//! `tokio::select!` — engine events first, then input, then a timer only when one is
//! due. Everything queued is handled before a frame is drawn, at most one frame every
//! [`FRAME`] for engine changes (every [`INPUT_FRAME`] when a key changed something),
//! and only when something changed.
//!
//! Engine events are drained for at most [`ENGINE_BUDGET`] per turn, then queued input
//! is drained too, so a flood of member pages cannot starve the keyboard.

use std::task::Poll;
use std::time::Duration;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::Event as TermEvent;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::Instant;

use super::TuiError;
use super::app::{App, Msg, QuitState};
use crate::engine::{Command, EngineClient, EngineHandle, Request};

/// Shortest time between two frames (~60 per second).
pub const FRAME: Duration = Duration::from_millis(16);
/// Shortest time between a frame and one that answers a key: the admin's keys do not
/// wait out [`FRAME`] behind a flood of engine events.
pub const INPUT_FRAME: Duration = Duration::from_millis(4);
/// Longest stretch spent on queued engine events before input gets its turn.
pub const ENGINE_BUDGET: Duration = Duration::from_millis(4);

impl App {
    /// Run until the admin quits and the engine has stopped (or its channel closed), or
    /// the input ends. Returns the final state (tests inspect it).
    pub async fn run<B, S>(
        mut self,
        terminal: &mut Terminal<B>,
        input: S,
        engine: EngineHandle,
    ) -> Result<App, TuiError>
    where
        B: Backend,
        S: Stream<Item = TermEvent>,
    {
        let (client, mut events) = engine.split();
        self.set_request_ids(client.ids());
        let input = input.fuse();
        futures::pin_mut!(input);
        let mut events_open = true;
        let mut input_open = true;
        let size = terminal.size().map_err(term)?;
        self.update(
            Msg::Terminal(TermEvent::Resize(size.width, size.height)),
            Instant::now(),
        );
        terminal
            .draw(|f| super::view::render(&self, f))
            .map_err(term)?;
        self.drawn();
        let mut last_frame = Instant::now();
        let mut pending: Vec<Request> = Vec::new();
        let shutdown = |app: &App| app.request(Command::Shutdown);

        loop {
            // Send what is queued without waiting; what does not fit waits below.
            pending.extend(self.take_requests());
            if flush(&client, &mut pending).is_err() {
                self.engine_gone(Instant::now());
            }
            if self.quit_state() == QuitState::Done
                || (!events_open && self.quit_state() == QuitState::Stopping)
            {
                break;
            }
            let frame_due = self.is_dirty().then_some(last_frame + self.frame_gap());
            let deadline = match (self.deadline(), frame_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep_until =
                deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            // Evaluated whether or not its branch is enabled: never index an empty queue.
            let next_request = pending.first().cloned();
            tokio::select! {
                biased;
                ev = events.recv(), if events_open => match ev {
                    Some(ev) => self.update(Msg::Engine(ev), Instant::now()),
                    None => {
                        events_open = false;
                        self.engine_gone(Instant::now());
                    }
                },
                key = input.next(), if input_open => match key {
                    Some(ev) => self.update(Msg::Terminal(ev), Instant::now()),
                    None => {
                        // The terminal (or a test's script) is gone: leave.
                        pending.extend(self.take_requests());
                        pending.push(shutdown(&self));
                        let _ = flush(&client, &mut pending);
                        break;
                    }
                },
                sent = send_first(&client, next_request), if !pending.is_empty() => match sent {
                    Ok(()) => {
                        pending.remove(0);
                    }
                    Err(_) => {
                        pending.clear();
                        self.engine_gone(Instant::now());
                    }
                },
                () = tokio::time::sleep_until(sleep_until), if deadline.is_some() => {
                    let now = Instant::now();
                    if self.deadline().is_some_and(|d| d <= now) {
                        self.update(Msg::Tick, now);
                    }
                }
            }
            // Drain what else is queued: engine events within a budget, then input.
            let started = Instant::now();
            while events_open && started.elapsed() < ENGINE_BUDGET {
                match events.try_recv() {
                    Ok(ev) => self.update(Msg::Engine(ev), Instant::now()),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        events_open = false;
                        self.engine_gone(Instant::now());
                    }
                }
            }
            // `poll!` polls with this task's waker: a stream that keeps only the last
            // waker (crossterm's EventStream does) must never be left holding a dummy
            // one, or the next key would wake no one.
            while input_open {
                match futures::poll!(input.next()) {
                    Poll::Ready(Some(ev)) => self.update(Msg::Terminal(ev), Instant::now()),
                    Poll::Ready(None) => input_open = false,
                    Poll::Pending => break,
                }
            }
            if !input_open {
                pending.extend(self.take_requests());
                pending.push(shutdown(&self));
                let _ = flush(&client, &mut pending);
                break;
            }
            let now = Instant::now();
            if self.is_dirty() && now >= last_frame + self.frame_gap() {
                terminal
                    .draw(|f| super::view::render(&self, f))
                    .map_err(term)?;
                self.drawn();
                last_frame = now;
            }
        }
        // The last state on screen.
        if self.is_dirty() {
            terminal
                .draw(|f| super::view::render(&self, f))
                .map_err(term)?;
            self.drawn();
        }
        Ok(self)
    }
}

impl App {
    fn frame_gap(&self) -> Duration {
        if self.is_urgent() { INPUT_FRAME } else { FRAME }
    }
}

/// Wait for room and send `req`; never resolves without one.
async fn send_first(
    client: &EngineClient,
    req: Option<Request>,
) -> Result<(), crate::engine::EngineGone> {
    match req {
        Some(r) => client.send_request(r).await,
        None => std::future::pending().await,
    }
}

/// Send what fits without waiting; the rest stays queued in order.
fn flush(
    client: &EngineClient,
    pending: &mut Vec<Request>,
) -> Result<(), crate::engine::EngineGone> {
    while !pending.is_empty() {
        match client.try_send_request(pending.remove(0)) {
            Ok(None) => {}
            Ok(Some(back)) => {
                pending.insert(0, back);
                break;
            }
            Err(e) => {
                pending.clear();
                return Err(e);
            }
        }
    }
    Ok(())
}

fn term(e: impl std::fmt::Display) -> TuiError {
    TuiError::Terminal(e.to_string())
}
