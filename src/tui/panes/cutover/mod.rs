//! The Rollout (tab 3) and Federation (tab 4) panes: Staged Rollout for MFA wave by wave
//! with readiness gauges, and each domain's `federatedIdpMfaBehavior`, both with drift
//! and the propagation clock; their changes walk the what-if → confirmation → write flow
//! of `flow.rs`. What both panes share lives here: the preflight view and the device-code
//! sign-in offered when the session is app-only.

pub mod federation;
pub mod flow;
pub mod rollout;
pub mod text;

use crate::capability::Capability;
use crate::engine::{Answer, Command, Reply, RequestId, SessionCommand, TokenKind};
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::Effects;
use crate::tui::pane::Env;

pub use federation::FederationPane;
pub use rollout::RolloutPane;

/// Why `capability` (of the session in `env`) stops a change, with the key that signs an
/// admin in when the session is app-only; `None` when it does not.
pub fn blocked_by(
    env: &Env<'_>,
    ctx: Context,
    capability: impl Fn(&crate::capability::Capabilities) -> &Capability,
) -> Option<String> {
    let Some(s) = env.session else {
        return Some("not signed in yet".into());
    };
    let why = capability(&s.capabilities).why()?;
    if s.identity.kind == TokenKind::AppOnly && s.delegated.is_none() {
        Some(format!(
            "{why} ({} signs an admin in with a device code)",
            env.key(ctx, Action::SignIn)
        ))
    } else {
        Some(why)
    }
}

/// The preflight view and the delegated sign-in, as both panes offer them.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    preflight: Option<RequestId>,
    signing_in: Option<RequestId>,
}

impl Shared {
    pub fn available(&self, action: Action, env: &Env<'_>) -> Option<Availability> {
        match action {
            Action::Preflight => Some(if self.preflight.is_some() {
                Availability::no("the preflight is being read")
            } else if env.session.is_none() {
                Availability::no("not signed in yet")
            } else {
                Availability::Available
            }),
            Action::SignIn => Some(match env.session {
                None => Availability::no("not signed in yet"),
                Some(_) if self.signing_in.is_some() => {
                    Availability::no("a sign-in is in progress: enter the code shown")
                }
                Some(s) if s.identity.kind != TokenKind::AppOnly => {
                    Availability::no("the session is already an admin's (delegated)")
                }
                Some(s) if s.delegated.is_some() => {
                    Availability::no("an admin is already signed in beside the application")
                }
                Some(_) => Availability::Available,
            }),
            _ => None,
        }
    }

    pub fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Option<Effects> {
        let mut fx = Effects::none();
        match action {
            Action::Preflight => {
                self.preflight = Some(fx.send(env, Command::Preflight));
                fx.info("reading the preflight…");
            }
            Action::SignIn => {
                self.signing_in =
                    Some(fx.send(env, Command::Session(SessionCommand::SignInDelegated)));
                fx.info("signing an admin in beside the application: a device code follows");
            }
            _ => return None,
        }
        Some(fx)
    }

    /// A reply to the preflight or the sign-in; `signed_in` says the session changed.
    pub fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Option<(Effects, bool)> {
        let mut fx = Effects::none();
        if self.preflight == Some(reply.request) {
            self.preflight = None;
            match &reply.outcome {
                Ok(Answer::Preflight(p)) => {
                    let blocking = p.findings.iter().filter(|f| f.is_blocking()).count();
                    fx.info(format!(
                        "preflight: {} findings, {blocking} blocking",
                        p.findings.len()
                    ));
                    fx.show("Preflight", text::preflight_lines(p, env.theme));
                }
                Ok(_) => fx.warn("preflight: the engine answered something else"),
                Err(r) => fx.show("Preflight", text::refusal_lines(r, env.theme)),
            }
            return Some((fx, false));
        }
        if self.signing_in == Some(reply.request) {
            self.signing_in = None;
            return Some(match &reply.outcome {
                Ok(Answer::SignedIn(info)) => {
                    let who = info.delegated.as_ref().unwrap_or(&info.identity);
                    fx.info(format!(
                        "signed in as {} beside the application",
                        crate::safe_text::terminal(&who.account)
                    ));
                    (fx, true)
                }
                Ok(_) => (fx, false),
                Err(r) => {
                    fx.error(format!(
                        "sign-in: {}",
                        crate::safe_text::terminal(&r.message)
                    ));
                    (fx, false)
                }
            });
        }
        None
    }
}
