//! The Rollout (3) and Federation (4) tabs against the simulated tenant: the real engine
//! on loopback, its requests and events pumped through the App on TestBackend, so each
//! screen is the one an admin gets. Snapshots of both panes at 80x24 and 160x48; adding a
//! group through the pane (what-if, a block by R1 shown with its rule and fix, force,
//! the confirmation holding the blast radius, the group's name typed, the policy and the
//! audit log holding it); R2 refused with nothing to force; a federation value set and
//! rolled back, with drift shown; an app-only session with its keys greyed and the
//! device-code sign-in that ungreys them. Engine and app share one fixed clock, so the
//! propagation clocks are stable.

mod common;
mod engine_support;

use std::sync::Arc;
use std::time::Duration;

use common::fixture as fx;
use common::harness::{Harness, options};
use engine_support::Fixture;
use mfa_cutover::clock::ManualClock;
use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::AuthKind;
use mfa_cutover::engine::store::Store;
use mfa_cutover::engine::{Access, Command, EngineHandle, SessionCommand, SignIn, StartOptions};
use mfa_cutover::graph::auth::{Session, StaticToken, TokenSource};
use mfa_cutover::rollout::Wave;
use mfa_cutover::sim::{SimConfig, group_names};
use mfa_cutover::tui::Tab;
use mfa_cutover::tui::action::{Action, Availability};
use mfa_cutover::tui::app::Modal;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
const PILOT: &str = group_names::ROLLOUT_PILOT;

fn snap(name: &str, w: u16, h: u16, screen: String) {
    let mut settings = insta::Settings::clone_current();
    // The sim signs its tokens with the real time; the app's clock is fixed.
    settings.add_filter(r"token (?:expired|\d+h\d\dm|\d+m) *(\x22?)", "token [T]$1");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[SIM]");
    // The engine's load (requests a second) depends on timing.
    settings.add_filter(r"│ [\d.]+ req/s[^\x22]*", "│ [LOAD]");
    settings.add_filter(r"/tmp/[^\s\x22]+", "[TMP]");
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

fn demo_waves() -> Vec<Wave> {
    group_names::DEMO_WAVES
        .iter()
        .map(|(n, m, r)| Wave::new(n, m, r))
        .collect()
}

/// The app on TestBackend wired to a real engine against the sim.
struct Live {
    t: Harness,
    engine: EngineHandle,
    forwarded: usize,
    fx: Fixture,
}

async fn live(w: u16, h: u16, waves: Vec<Wave>, app_only: bool) -> Live {
    let fx = Fixture::new(SimConfig {
        users: 120,
        seed: 41,
        ..Default::default()
    })
    .await;
    let mut config = fx.config(None);
    config.waves = waves;
    let token = if app_only {
        fx.sim.app_token()
    } else {
        fx.sim.token().to_string()
    };
    let tokens: Arc<dyn TokenSource> = Arc::new(StaticToken::new(&token).expect("a token"));
    let session = Session::from_source(tokens, AuthKind::Token, Cloud::Global, true)
        .await
        .expect("a session");
    let mut o = StartOptions::new(
        config,
        SignIn::Ready(session),
        Access::Write {
            command: "tui".into(),
        },
    );
    o.limits = Some(fx.limits());
    o.reload = false;
    o.clock = Arc::new(ManualClock::new(fx::now()));
    let running = mfa_cutover::engine::start(o)
        .await
        .expect("the engine starts");
    let mut t = Harness::with(options(), w, h);
    t.app.set_request_ids(running.engine.client.ids());
    let mut l = Live {
        t,
        engine: running.engine,
        forwarded: 0,
        fx,
    };
    l.until("the session", |t| t.app.session().is_some()).await;
    l
}

impl Live {
    /// Pump requests to the engine and its events into the app until `ok`.
    async fn until(&mut self, what: &str, ok: impl Fn(&mut Harness) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            while self.forwarded < self.t.history.len() {
                let req = self.t.history[self.forwarded].clone();
                self.forwarded += 1;
                self.engine
                    .client
                    .send_request(req)
                    .await
                    .expect("the engine takes requests");
            }
            if ok(&mut self.t) {
                return;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.engine.next_event()).await {
                Ok(Some(ev)) => self.t.engine(ev),
                Ok(None) => panic!("the engine stopped while waiting for {what}"),
                Err(_) => panic!("no {what} within 90 s:\n{}", self.t.screen()),
            }
        }
    }

    /// The screen once `tab`'s status is read and nothing is being read.
    async fn settled(&mut self, what: &str, ready: &'static str) -> String {
        self.until(what, |t| {
            let s = t.screen();
            s.contains(ready) && !s.contains("reading…") && !s.contains("Reading ")
        })
        .await;
        self.t.screen()
    }

    fn dialog(&self) -> String {
        match self.t.app.modal() {
            Some(Modal::Confirm(c, _)) => c
                .lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            Some(Modal::Text(s)) => s
                .lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }

    fn audit(&self) -> Vec<mfa_cutover::engine::store::AuditEntry> {
        let store =
            Store::open_read_only(&self.fx.state_dir, Arc::new(ManualClock::new(fx::now())))
                .expect("the store opens read-only");
        store
            .audit_log(self.fx.sim.tenant_id(), 100)
            .expect("the audit log reads")
    }

    fn policy_groups(&self) -> Vec<(bool, Vec<String>)> {
        self.fx.sim.inspect(|t| {
            t.rollout_policies()
                .map(|p| {
                    (
                        p.is_enabled(),
                        p.groups().into_iter().map(str::to_string).collect(),
                    )
                })
                .collect()
        })
    }

    fn federation(&self) -> Option<&'static str> {
        self.fx
            .sim
            .inspect(|t| t.federation_mfa_behavior("contoso.com"))
            .flatten()
    }
}

fn confirm_typed(t: &Harness) -> Option<String> {
    match t.app.modal() {
        Some(Modal::Confirm(c, _)) => c.typed.clone(),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_panes_against_the_simulated_tenant() {
    for (w, h) in SIZES {
        let mut l = live(w, h, demo_waves(), false).await;
        l.t.keys(&["3"]);
        assert_eq!(l.t.app.tab(), Tab::Rollout);
        let screen = l
            .settled("the rollout status", "Staged Rollout for MFA")
            .await;
        assert!(screen.contains("no policy yet"), "{screen}");
        assert!(
            screen.contains("Pilot") && screen.contains(PILOT),
            "{screen}"
        );
        assert!(screen.contains("Next:"), "{screen}");
        snap("rollout", w, h, screen);
        // Wave 3: its nested branch-office group is out of scope, and says so.
        l.t.keys(&["G"]);
        let screen = l.t.screen();
        assert!(screen.contains("nested (out of scope)"), "{screen}");
        snap("rollout_wave3", w, h, screen);

        l.t.keys(&["4"]);
        let screen = l.settled("the federation status", "federated:").await;
        assert!(screen.contains("contoso.com"), "{screen}");
        assert!(
            screen.contains("unset (= acceptIfMfaDoneByFederatedIdp)"),
            "{screen}"
        );
        snap("federation", w, h, screen);

        l.t.keys(&["d"]);
        l.until(
            "the preflight",
            |t| matches!(t.app.modal(), Some(Modal::Text(s)) if s.title == "Preflight"),
        )
        .await;
        let text = l.dialog();
        assert!(text.contains("What this sign-in can do"), "{text}");
        assert!(text.contains("manage Staged Rollout"), "{text}");
        snap("preflight", w, h, l.t.screen());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_group_blocked_by_r1_then_forced_typed_written_and_audited() {
    let mut l = live(120, 40, demo_waves(), false).await;
    l.t.keys(&["3"]);
    l.settled("the rollout status", "Staged Rollout for MFA")
        .await;
    assert!(l.t.app.available(Action::AddGroup).is_available());
    let writes = l.fx.sim.stats().writes;

    // What-if first: nobody is migrated, so R1 blocks; each finding with rule and fix,
    // and force offered (R1 allows it).
    l.t.keys(&["A"]);
    l.until("the block", |t| {
        matches!(t.app.modal(), Some(Modal::Confirm(..)))
    })
    .await;
    let text = l.dialog();
    assert!(text.contains(&format!("adds {PILOT} →")), "{text}");
    assert!(text.contains("blocked by R1"), "{text}");
    assert!(text.contains("✗ [R1]"), "{text}");
    assert!(text.contains("→ migrate"), "the fix is shown: {text}");
    assert!(text.contains("Forcing goes past it"), "{text}");
    assert_eq!(l.fx.sim.stats().writes, writes, "a what-if writes nothing");

    // Force: a second what-if, whose confirmation holds the blast radius and asks for the
    // group's name.
    l.t.keys(&["tab", "enter"]);
    l.until("the forced confirmation", |t| confirm_typed(t).is_some())
        .await;
    let text = l.dialog();
    assert!(text.contains("forced past R1"), "{text}");
    assert!(text.contains("to Entra MFA:"), "{text}");
    assert!(
        text.contains("POST /policies/featureRolloutPolicies"),
        "{text}"
    );
    assert_eq!(confirm_typed(&l.t).as_deref(), Some(PILOT));
    // Not typed: the button does nothing.
    l.t.keys(&["tab", "enter"]);
    assert!(matches!(l.t.app.modal(), Some(Modal::Confirm(..))));
    assert_eq!(l.fx.sim.stats().writes, writes);
    l.t.text(PILOT);
    l.t.keys(&["enter"]);
    l.until("the group in the policy", |t| {
        t.screen().contains("✓ in") && !t.screen().contains("reading…")
    })
    .await;
    assert_eq!(l.policy_groups(), [(true, vec![PILOT.to_string()])]);
    let flash = l.t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("done:") || flash.is_empty(), "{flash}");
    let screen = l.t.screen();
    assert!(screen.contains("1 of 10 groups"), "{screen}");
    assert!(
        screen.contains("takes up to 24 h"),
        "the clock shows: {screen}"
    );

    let audit = l.audit();
    let added = audit
        .iter()
        .find(|e| e.action == "rollout.add_group")
        .unwrap_or_else(|| panic!("no audit entry: {audit:?}"));
    assert!(added.forced);
    assert!(added.after.as_deref().unwrap_or("").contains(PILOT));

    // Now in the policy: add is greyed with the reason, remove is offered.
    match l.t.app.available(Action::AddGroup) {
        Availability::Unavailable(why) => assert!(why.contains("already in the policy"), "{why}"),
        Availability::Available => panic!("add offered twice"),
    }
    assert!(l.t.app.available(Action::RemoveGroup).is_available());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r2_is_refused_with_its_rule_and_nothing_to_force() {
    let waves = vec![Wave::new(
        "Contractors",
        group_names::PILOT,
        group_names::CONTRACTORS,
    )];
    let mut l = live(100, 30, waves, false).await;
    l.t.keys(&["3"]);
    l.settled("the rollout status", "Staged Rollout for MFA")
        .await;
    l.t.keys(&["A"]);
    l.until(
        "the refusal",
        |t| matches!(t.app.modal(), Some(Modal::Text(s)) if s.title.contains("R2")),
    )
    .await;
    let text = l.dialog();
    assert!(text.contains("[R2]"), "{text}");
    assert!(text.contains("contact"), "{text}");
    assert!(text.contains("cannot be forced"), "{text}");
    assert_eq!(l.fx.sim.stats().writes, 0);
    assert!(l.policy_groups().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_set_then_rollback_through_the_pane_and_drift_shows() {
    let mut l = live(120, 40, demo_waves(), false).await;
    l.t.keys(&["4"]);
    l.settled("the federation status", "federated:").await;

    // C: choose accept (the third choice), what-if, tier 3 with the domain typed.
    l.t.keys(&["C"]);
    assert!(matches!(l.t.app.modal(), Some(Modal::Choose { .. })));
    l.t.keys(&["j", "j", "enter"]);
    l.until("the tier-3 confirmation", |t| confirm_typed(t).is_some())
        .await;
    assert_eq!(confirm_typed(&l.t).as_deref(), Some("contoso.com"));
    let text = l.dialog();
    assert!(text.contains("acceptIfMfaDoneByFederatedIdp"), "{text}");
    assert!(text.contains("takes up to 24 hours"), "{text}");
    l.t.text("contoso.com");
    l.t.keys(&["tab", "enter"]);
    l.until("accept written", |t| {
        t.screen()
            .contains("last written by this tool  acceptIfMfaDoneByFederatedIdp")
    })
    .await;
    assert_eq!(l.federation(), Some("acceptIfMfaDoneByFederatedIdp"));

    // B: the rollback's exact writes before the tier-3 confirmation.
    l.t.keys(&["B"]);
    l.until("the rollback confirmation", |t| confirm_typed(t).is_some())
        .await;
    let text = l.dialog();
    assert!(text.contains("Exact writes:"), "{text}");
    assert!(
        text.contains("acceptIfMfaDoneByFederatedIdp → enforceMfaByFederatedIdp"),
        "{text}"
    );
    snap("federation_rollback", 120, 40, l.t.screen());
    l.t.text("contoso.com");
    l.t.keys(&["tab", "enter"]);
    l.until("the rollback written", |t| {
        t.screen()
            .contains("last written by this tool  enforceMfaByFederatedIdp")
    })
    .await;
    assert_eq!(l.federation(), Some("enforceMfaByFederatedIdp"));
    assert!(
        l.audit().iter().any(|e| e.action == "federation.rollback"),
        "the rollback is audited"
    );
    l.settled("the reads after the rollback", "federated:")
        .await;

    // Changed behind the tool's back: drift, after a refresh.
    l.fx.sim
        .configure(|a| {
            a.set_federation_mfa_behavior("contoso.com", Some("rejectMfaByFederatedIdp"))
        })
        .expect("the admin change");
    l.t.keys(&["ctrl+r"]);
    let screen = l.settled("the drift", "[DRIFT]").await;
    assert!(screen.contains("rejectMfaByFederatedIdp"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_session_greys_the_keys_with_the_reason_and_signs_an_admin_in() {
    let mut l = live(80, 24, demo_waves(), true).await;
    l.t.keys(&["3"]);
    let screen = l
        .settled("the rollout status", "Staged Rollout for MFA")
        .await;
    assert!(screen.contains("cannot be changed"), "{screen}");
    snap("rollout_app_only", 80, 24, screen);
    for a in [Action::AddGroup, Action::RemoveGroup, Action::ToggleRollout] {
        match l.t.app.available(a) {
            Availability::Unavailable(why) => {
                assert!(why.contains("s signs an admin in"), "{a:?}: {why}")
            }
            Availability::Available => panic!("{a:?} offered to an app-only session"),
        }
    }
    // The key does nothing but say why.
    l.t.keys(&["A"]);
    let flash = l.t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("signs an admin in"), "{flash}");
    assert!(l.t.app.available(Action::SignIn).is_available());

    // The way out is offered; with a token given to the process (as here) the engine
    // cannot start a sign-in of its own, and the pane says so and what to do.
    l.t.keys(&["s"]);
    assert!(
        l.t.take_sent()
            .iter()
            .any(|c| matches!(c, Command::Session(SessionCommand::SignInDelegated)))
    );
    l.until("the sign-in's answer", |t| {
        t.app
            .flash_text()
            .is_some_and(|f| f.starts_with("sign-in:"))
    })
    .await;
    let flash = l.t.app.flash_text().unwrap_or_default().to_string();
    assert!(flash.contains("--auth device-code"), "{flash}");
    assert_eq!(l.fx.sim.stats().writes, 0);
}
