//! Judging each step on the facts: done only when its check passes (or, for a manual
//! step, when ticked); a check that cannot decide says why and accepts a tick by hand.
//! `fin.federation` waits for every earlier step ([`federation_gate`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::capability::Capability;
use crate::finding::{Finding, FindingSubject, RuleId, Severity};
use crate::rollout::{FederationValue, MfaBehavior, Tally};

use super::facts::{Facts, Tick, WaveFacts};
use super::steps::{CheckKind, EndState, Phase, STEPS, StepDef, VALIDATE_CHECKS, Where};

/// The gate of `fin.federation` (checklist.md "Steps": refuses while earlier required
/// steps are not done, unless forced).
pub const GATE: RuleId = RuleId::new("CL-GATE");

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Done,
    NotDone,
    /// The check cannot decide (a fact could not be read, or the data does not say):
    /// a tick by hand decides.
    Unknown,
    /// Not part of the chosen end state.
    NotApplicable,
}

impl StepState {
    pub fn label(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::NotDone => "not done",
            StepState::Unknown => "cannot tell",
            StepState::NotApplicable => "not in this end state",
        }
    }
}

/// One of the five validate checks, ticked by hand.
#[derive(Debug, Clone, Serialize)]
pub struct ManualCheck {
    pub id: &'static str,
    pub text: &'static str,
    pub tick: Option<Tick>,
}

/// A step as judged now.
#[derive(Debug, Clone, Serialize)]
pub struct StepStatus {
    pub id: &'static str,
    pub phase: Phase,
    pub title: &'static str,
    pub purpose: &'static str,
    pub by_hand: &'static str,
    pub check: CheckKind,
    pub pane: Where,
    pub state: StepState,
    /// What the check found, in figures.
    pub figures: Vec<String>,
    /// What stands in the way, each with its fix.
    pub findings: Vec<Finding>,
    pub tick: Option<Tick>,
    pub manual: Vec<ManualCheck>,
}

/// Done over applicable steps, per phase.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PhaseProgress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

/// The whole checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub end_state: Option<EndState>,
    pub started_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepStatus>,
    pub phases: Vec<PhaseProgress>,
    /// The first applicable step not done.
    pub next: Option<&'static str>,
    /// Open risks for the change board.
    pub risks: Vec<Finding>,
    /// The rollback's steps by hand (reinstall, restore the recorded backup) and the
    /// warning about methods changed in Entra.
    pub rollback_by_hand: Vec<String>,
    /// The cutover has begun: an end state chosen, a tick given, or a change made in the
    /// tenant (users migrated, Staged Rollout for MFA on, a domain's setting changed by
    /// this tool). The TUI then opens on the checklist.
    pub begun: bool,
}

impl Checklist {
    pub fn step(&self, id: &str) -> Option<&StepStatus> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// What a check found.
struct Check {
    pass: Option<bool>,
    figures: Vec<String>,
    findings: Vec<Finding>,
}

impl Check {
    fn new(pass: Option<bool>) -> Check {
        Check {
            pass,
            figures: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn unreadable(what: &str, why: &str) -> Check {
        let mut c = Check::new(None);
        c.figures.push(format!("{what} cannot be read: {why}"));
        c
    }

    fn figure(mut self, f: impl Into<String>) -> Check {
        self.figures.push(f.into());
        self
    }

    fn blocker(mut self, step: &str, text: impl Into<String>, fix: impl Into<String>) -> Check {
        self.findings.push(
            Finding::blocking(
                RuleId::owned(step.to_string()),
                FindingSubject::Step { id: step.into() },
                text,
            )
            .with_fix(fix),
        );
        self
    }
}

/// Judge every step.
pub fn evaluate(f: &Facts) -> Checklist {
    let mut steps = Vec::with_capacity(STEPS.len());
    for def in &STEPS {
        steps.push(judge(def, f));
    }
    let phases = Phase::ALL
        .iter()
        .map(|&phase| {
            let of: Vec<&StepStatus> = steps
                .iter()
                .filter(|s| s.phase == phase && s.state != StepState::NotApplicable)
                .collect();
            PhaseProgress {
                phase,
                done: of.iter().filter(|s| s.state == StepState::Done).count(),
                total: of.len(),
            }
        })
        .collect();
    let next = steps
        .iter()
        .find(|s| !matches!(s.state, StepState::Done | StepState::NotApplicable))
        .map(|s| s.id);
    Checklist {
        end_state: f.end_state,
        started_at: f.started_at,
        begun: begun(f),
        risks: risks(f),
        rollback_by_hand: rollback_by_hand(f),
        steps,
        phases,
        next,
    }
}

/// Whether the cutover has begun (see [`Checklist::begun`]).
fn begun(f: &Facts) -> bool {
    let migrated = f.waves.as_ref().is_ok_and(|ws| {
        ws.iter()
            .any(|w| w.migrate.as_ref().is_some_and(|t| t.migrated > 0))
    });
    let rollout_on = f.policy.as_ref().is_ok_and(|p| p.enabled);
    let domain_changed = f
        .domains
        .as_ref()
        .is_ok_and(|ds| ds.iter().any(|d| d.changed_at.is_some()));
    f.end_state.is_some() || !f.ticks.is_empty() || migrated || rollout_on || domain_changed
}

/// What blocks `fin.federation`: every applicable earlier step not done.
pub fn federation_gate(c: &Checklist) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &c.steps {
        if s.id == "fin.federation" {
            break;
        }
        if matches!(s.state, StepState::Done | StepState::NotApplicable) {
            continue;
        }
        let why = s
            .findings
            .first()
            .map(|f| f.text.clone())
            .or_else(|| s.figures.first().cloned())
            .unwrap_or_else(|| s.state.label().to_string());
        out.push(
            Finding::blocking(
                GATE,
                FindingSubject::Step { id: s.id.into() },
                format!("fin.federation waits for {} ({}): {why}", s.id, s.title),
            )
            .with_fix(format!(
                "finish {} first, or force past the checklist (audited)",
                s.id
            )),
        );
    }
    out
}

fn latest<'a>(ticks: &'a [Tick], id: &str) -> Option<&'a Tick> {
    ticks.iter().filter(|t| t.step == id).max_by_key(|t| t.at)
}

fn judge(def: &'static StepDef, f: &Facts) -> StepStatus {
    let tick = latest(&f.ticks, def.id).cloned();
    let manual: Vec<ManualCheck> = if def.id == "mig.validate" {
        VALIDATE_CHECKS
            .iter()
            .map(|(id, text)| ManualCheck {
                id,
                text,
                tick: latest(&f.ticks, id).cloned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut status = StepStatus {
        id: def.id,
        phase: def.phase,
        title: def.title,
        purpose: def.purpose,
        by_hand: def.by_hand,
        check: def.check,
        pane: def.pane,
        state: StepState::NotApplicable,
        figures: Vec::new(),
        findings: Vec::new(),
        tick,
        manual,
    };
    if !def.applies(f.end_state) {
        status.figures.push(match f.end_state {
            None => "part of end states 2 and 3: choose the end state".into(),
            Some(e) => format!("not part of end state {}", e.number()),
        });
        return status;
    }
    let ticked = status.tick.as_ref().is_some_and(|t| t.done);
    let check = match def.check {
        CheckKind::Manual => {
            let mut c = Check::new(Some(ticked));
            if !ticked {
                c.figures.push("ticked by hand when done (`t`)".into());
            }
            c
        }
        CheckKind::Automated => automated(def.id, f),
    };
    let mut pass = check.pass;
    if def.id == "mig.validate" {
        let open: Vec<&ManualCheck> = status
            .manual
            .iter()
            .filter(|m| !m.tick.as_ref().is_some_and(|t| t.done))
            .collect();
        if !open.is_empty() {
            status.findings.push(
                Finding::blocking(
                    RuleId::new("mig.validate"),
                    FindingSubject::Step {
                        id: "mig.validate".into(),
                    },
                    format!(
                        "{} of the guide's five checks with pilot users not ticked: {}",
                        open.len(),
                        open.iter().map(|m| m.text).collect::<Vec<_>>().join("; ")
                    ),
                )
                .with_fix("check them with pilot users and tick each (`t`)"),
            );
            if pass == Some(true) {
                pass = Some(false);
            }
        }
    }
    status.figures.extend(check.figures);
    status.findings.splice(0..0, check.findings);
    status.state = match pass {
        Some(true) => StepState::Done,
        Some(false) => StepState::NotDone,
        // A check that cannot decide: the admin's tick does.
        None if ticked => StepState::Done,
        None => StepState::Unknown,
    };
    status
}

fn automated(id: &str, f: &Facts) -> Check {
    match id {
        "prep.dependencies" => prep_dependencies(f),
        "prep.backup" => prep_backup(f),
        "prep.update" => prep_update(f),
        "prep.access" => prep_access(f),
        "prep.methods" => prep_methods(f),
        "mig.users" => waves_check(f, id, false),
        "mig.validate" => mig_validate(f),
        "mig.rollout" => mig_rollout(f),
        "mig.educate" => mig_educate(f),
        "mig.complete" => waves_check(f, id, true),
        "fin.dependencies" => fin_dependencies(f),
        "fin.apps" => fin_apps(f),
        "fin.auth" => fin_auth(f),
        "fin.federation" => fin_federation(f),
        _ => Check::new(None),
    }
}

fn percent(part: u64, whole: u64) -> u64 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

fn inventory_missing(id: &str) -> Check {
    Check::new(Some(false)).blocker(
        id,
        "no dependency inventory is loaded: nothing says what still uses MFA Server",
        "list the AD FS and NPS exports under [inventory] in the config (or pass them to \
         `inventory --adfs/--nps`)",
    )
}

fn prep_dependencies(f: &Facts) -> Check {
    let inv = match &f.inventory {
        Err(e) => return Check::unreadable("the inventory", e),
        Ok(i) if !i.loaded => return inventory_missing("prep.dependencies"),
        Ok(i) => i,
    };
    let c = Check::new(Some(inv.decided == inv.total)).figure(format!(
        "{} of {} dependencies decided",
        inv.decided, inv.total
    ));
    if inv.decided == inv.total {
        c
    } else {
        c.blocker(
            "prep.dependencies",
            format!(
                "{} dependencies have no decision ({})",
                inv.total - inv.decided,
                sample(&inv.undecided_sample, inv.total - inv.decided)
            ),
            "decide a path for each in Dependencies (`s`)",
        )
    }
}

fn sample(names: &[String], total: usize) -> String {
    let mut s = names.join(", ");
    if total > names.len() {
        s.push_str(&format!(" and {} more", total - names.len()));
    }
    s
}

fn prep_backup(f: &Facts) -> Check {
    let d = &f.data;
    if d.inputs.is_empty() {
        return Check::new(Some(false)).blocker(
            "prep.backup",
            "no data file is loaded: its hash cannot be recorded",
            "start with --data-file pointing at the backed-up PhoneFactor.pfdata (or its \
             export)",
        );
    }
    let mut c = Check::new(Some(!d.recorded.is_empty()));
    for i in &d.inputs {
        c.figures.push(format!(
            "{}: SHA-256 {}, {} bytes{}",
            i.path,
            i.sha256,
            i.size,
            i.modified
                .map(|m| format!(", modified {}", m.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default()
        ));
    }
    match d.recorded.first() {
        None => {
            c = c.blocker(
                "prep.backup",
                "the data file's hash is not recorded yet (it is at the first start that can \
                 write the state store)",
                "start the tool once with the state store free",
            )
        }
        Some(first) => {
            c.figures.push(format!(
                "recorded {} (SHA-256 {}): the backup the rollback restores",
                first.first_seen.format("%Y-%m-%d %H:%M UTC"),
                first.sha256
            ));
            if !d.inputs.iter().any(|i| i.sha256 == first.sha256) {
                c.findings.push(
                    Finding::warning(
                        RuleId::new("prep.backup"),
                        FindingSubject::Step {
                            id: "prep.backup".into(),
                        },
                        "the data file loaded now differs from the one first recorded: keep \
                         the backup of the recorded one, and back up this one too",
                    )
                    .with_fix("back up the current PhoneFactor.pfdata before going on"),
                );
            }
        }
    }
    c
}

/// "8.1.3.0" → (8, 1); `None` when it does not start with two numbers.
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim().trim_start_matches(['v', 'V']).split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.trim().parse().ok())?;
    Some((major, minor))
}

fn prep_update(f: &Facts) -> Check {
    match f.data.server_version.as_deref() {
        None => Check::new(None).figure(
            "the data file does not say the server version: check it on the server and tick \
             this step (`t`)",
        ),
        Some(v) => match major_minor(v) {
            Some(mm) if mm >= (8, 1) => Check::new(Some(true)).figure(format!("MFA Server {v}")),
            Some(_) => Check::new(Some(false))
                .figure(format!("MFA Server {v}"))
                .blocker(
                    "prep.update",
                    format!("MFA Server {v} is older than 8.1"),
                    "install the latest MFA Server build on every server (back up first)",
                ),
            None => Check::new(None).figure(format!(
                "the data file says version \"{v}\", which is not a version number: check it \
                 on the server and tick this step (`t`)"
            )),
        },
    }
}

fn prep_access(f: &Facts) -> Check {
    let a = &f.access;
    let Some(caps) = &a.capabilities else {
        return Check::new(None).figure("not signed in: sign in to check Graph access");
    };
    let mut c = Check::new(Some(true)).figure(format!(
        "signed in as {}{}",
        a.account,
        if a.roles.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.roles.join(", "))
        }
    ));
    for (what, cap) in [
        ("migrate users' methods", &caps.write_methods),
        ("read the methods policy", &caps.read_policy),
        ("manage Staged Rollout", &caps.manage_rollout),
        ("change federatedIdpMfaBehavior", &caps.manage_federation),
    ] {
        match cap {
            Capability::Available => c.figures.push(format!("can {what}")),
            Capability::Unverified { note } => c.figures.push(format!("may {what}: {note}")),
            Capability::Unavailable { reason, fix } => {
                c.pass = Some(false);
                c = c.blocker(
                    "prep.access",
                    format!("cannot {what}: {reason}"),
                    fix.clone(),
                );
            }
        }
    }
    c
}

fn prep_methods(f: &Facts) -> Check {
    match &f.methods {
        Err(e) => Check::unreadable("the authentication methods policy", e),
        Ok(findings) => {
            let blocking: Vec<&Finding> = findings.iter().filter(|x| x.is_blocking()).collect();
            let mut c = Check::new(Some(blocking.is_empty()));
            for x in findings.iter().filter(|x| x.severity == Severity::Info) {
                c.figures.push(x.text.clone());
            }
            c.findings.extend(
                findings
                    .iter()
                    .filter(|x| x.severity > Severity::Info)
                    .cloned(),
            );
            c
        }
    }
}

/// A wave's migration group is done when nobody in scope is without a verified
/// migration or a usable Entra method, and nobody failed (R1's test).
fn wave_ready(t: &Tally) -> bool {
    t.neither == 0 && t.failed == 0
}

fn wave_figure(w: &WaveFacts) -> String {
    match &w.migrate {
        None => format!("{}: group \"{}\" not found", w.name, w.migrate_group),
        Some(t) => format!(
            "{}: {}% of {} users migrated and verified ({} verified, {} with only an Entra \
             method, {} neither, {} failed)",
            w.name,
            percent(t.verified, t.in_scope),
            t.in_scope,
            t.verified,
            t.usable_only,
            t.neither,
            t.failed
        ),
    }
}

fn waves_check(f: &Facts, id: &str, all: bool) -> Check {
    let waves = match &f.waves {
        Err(e) => return Check::unreadable("the waves' groups", e),
        Ok(w) => w,
    };
    if waves.is_empty() {
        return Check::new(Some(false)).blocker(
            id,
            "no waves are configured: nothing says which groups to migrate",
            "add [[waves]] (name, migrate, rollout) to the config file",
        );
    }
    let ready: Vec<&WaveFacts> = waves
        .iter()
        .filter(|w| w.migrate.as_ref().is_some_and(wave_ready))
        .collect();
    let pass = if all {
        ready.len() == waves.len() && f.failed_users == 0
    } else {
        !ready.is_empty()
    };
    let mut c = Check::new(Some(pass));
    for w in waves {
        c.figures.push(wave_figure(w));
    }
    if all && f.failed_users > 0 {
        c = c.blocker(
            id,
            format!("{} users' last migration attempt failed", f.failed_users),
            "retry them from the Users pane (`R`) and read the errors in the detail view",
        );
    }
    if !pass {
        let open: Vec<&str> = waves
            .iter()
            .filter(|w| !w.migrate.as_ref().is_some_and(wave_ready))
            .map(|w| w.name.as_str())
            .collect();
        if !open.is_empty() {
            c = c.blocker(
                id,
                format!(
                    "{} not migrated yet: {}",
                    if open.len() == 1 { "wave" } else { "waves" },
                    open.join(", ")
                ),
                "migrate the wave's group in Users; users with no method at all must register",
            );
        }
    }
    c
}

fn mig_validate(f: &Facts) -> Check {
    let policy = match &f.policy {
        Err(e) => return Check::unreadable("the MFA rollout policy", e),
        Ok(p) => p,
    };
    let ready: Vec<&(String, Tally)> = policy
        .groups
        .iter()
        .filter(|(_, t)| t.in_scope > 0 && wave_ready(t))
        .collect();
    let pass = policy.enabled && !ready.is_empty();
    let mut c = Check::new(Some(pass));
    match ready.first() {
        Some((name, t)) => c.figures.push(format!(
            "pilot \"{name}\" in Staged Rollout: {} users, {} verified, none without a method",
            t.in_scope, t.verified
        )),
        None => c
            .figures
            .push("no group in Staged Rollout has every member ready".into()),
    }
    if !pass {
        c = c.blocker(
            "mig.validate",
            if policy.exists && !policy.enabled {
                "Staged Rollout for MFA is off".to_string()
            } else {
                "no pilot group whose members are all migrated is in Staged Rollout for MFA"
                    .to_string()
            },
            "add the pilot wave's rollout group in Rollout (`a`) once its users are migrated",
        );
    }
    c
}

fn mig_rollout(f: &Facts) -> Check {
    let policy = match &f.policy {
        Err(e) => return Check::unreadable("the MFA rollout policy", e),
        Ok(p) => p,
    };
    let mut c = Check::new(Some(
        policy.enabled
            && !policy.groups.is_empty()
            && policy.groups.iter().all(|(_, t)| wave_ready(t)),
    ));
    if !policy.exists {
        c.figures.push("no MFA rollout policy yet".into());
    } else {
        c.figures.push(format!(
            "Staged Rollout for MFA {} with {} group(s)",
            if policy.enabled { "on" } else { "off" },
            policy.groups.len()
        ));
    }
    for (name, t) in &policy.groups {
        c.figures.push(format!(
            "{name}: {} users, {} verified, {} neither",
            t.in_scope, t.verified, t.neither
        ));
        if !wave_ready(t) {
            c = c.blocker(
                "mig.rollout",
                format!(
                    "{} users of \"{name}\" are in Staged Rollout without a migrated or usable \
                     method ({})",
                    t.neither + t.failed,
                    t.not_ready_sample.join(", ")
                ),
                "migrate them, or take the group out of Staged Rollout",
            );
        }
    }
    if policy.groups.is_empty() {
        c = c.blocker(
            "mig.rollout",
            "no group is in Staged Rollout for MFA",
            "add each migrated wave's rollout group in Rollout (`a`)",
        );
    }
    c
}

fn mig_educate(f: &Facts) -> Check {
    match latest(&f.ticks, "mig.educate") {
        Some(t) if t.done => Check::new(Some(true)).figure(format!(
            "{} ({} by {})",
            t.note.clone().unwrap_or_else(|| "export written".into()),
            t.at.format("%Y-%m-%d %H:%M UTC"),
            t.actor
        )),
        _ => Check::new(Some(false)).blocker(
            "mig.educate",
            "the list of users who must re-register the mobile app has not been exported",
            "export it from Users (ctrl+s) and send it to the service desk",
        ),
    }
}

fn fin_dependencies(f: &Facts) -> Check {
    let inv = match &f.inventory {
        Err(e) => return Check::unreadable("the inventory", e),
        Ok(i) if !i.loaded => return inventory_missing("fin.dependencies"),
        Ok(i) => i,
    };
    let done = inv.closed == inv.total;
    let c = Check::new(Some(done)).figure(format!(
        "{} of {} dependencies done (or won't do)",
        inv.closed, inv.total
    ));
    if done {
        c
    } else {
        c.blocker(
            "fin.dependencies",
            format!(
                "{} dependencies still use MFA Server ({})",
                inv.total - inv.closed,
                sample(&inv.open_sample, inv.total - inv.closed)
            ),
            "carry out each path and mark it done in Dependencies (`s`)",
        )
    }
}

fn fin_apps(f: &Facts) -> Check {
    let inv = match &f.inventory {
        Err(e) => return Check::unreadable("the inventory", e),
        Ok(i) if !i.loaded => return inventory_missing("fin.apps"),
        Ok(i) => i,
    };
    let done = inv.relying_parties_closed == inv.relying_parties;
    let c = Check::new(Some(done)).figure(format!(
        "{} of {} AD FS relying parties moved (or won't do)",
        inv.relying_parties_closed, inv.relying_parties
    ));
    if done {
        c
    } else {
        c.blocker(
            "fin.apps",
            format!(
                "{} relying parties still on AD FS",
                inv.relying_parties - inv.relying_parties_closed
            ),
            "move them to Entra and mark them done in Dependencies",
        )
    }
}

fn fin_auth(f: &Facts) -> Check {
    let a = match &f.cloud_auth {
        Err(e) => return Check::unreadable("the domains and Staged Rollout features", e),
        Ok(a) => a,
    };
    let has = |name: &str| a.features.iter().any(|(n, g)| n == name && *g > 0);
    let staged =
        (has("passwordHashSync") || has("passThroughAuthentication")) && has("seamlessSso");
    let pass = a.federated_domains == 0 || staged;
    let mut c = Check::new(Some(pass));
    c.figures
        .push(format!("{} federated domain(s)", a.federated_domains));
    for (n, g) in &a.features {
        c.figures
            .push(format!("Staged Rollout of {n}: {g} group(s)"));
    }
    if !pass {
        c = c.blocker(
            "fin.auth",
            "users still sign in at the federation server",
            "stage password hash sync (or pass-through authentication) with seamless SSO, \
             then convert the domains to managed",
        );
    }
    c
}

fn fin_federation(f: &Facts) -> Check {
    let domains = match &f.domains {
        Err(e) => return Check::unreadable("the domains", e),
        Ok(d) => d,
    };
    let federated: Vec<_> = domains.iter().filter(|d| d.domain.federated).collect();
    let reject = FederationValue::Set(MfaBehavior::RejectMfaByFederatedIdp);
    let pass = federated.iter().all(|d| d.domain.value == reject);
    let mut c = Check::new(Some(pass));
    if federated.is_empty() {
        c.figures.push("no federated domain".into());
    }
    for d in &federated {
        let clock = d
            .changed_at
            .map(|at| {
                let hours = (f.now - at).num_hours();
                if hours < 24 {
                    format!(
                        "; changed {} — takes up to 24 h ({} h left)",
                        at.format("%Y-%m-%d %H:%M UTC"),
                        24 - hours
                    )
                } else {
                    format!("; changed {}", at.format("%Y-%m-%d %H:%M UTC"))
                }
            })
            .unwrap_or_default();
        c.figures.push(format!(
            "{}: {}{clock}",
            d.domain.name,
            d.domain.value.audit_text()
        ));
        if d.domain.value != reject {
            c = c.blocker(
                "fin.federation",
                format!("{} is not at rejectMfaByFederatedIdp", d.domain.name),
                "set it in Federation once every earlier step is done",
            );
        }
    }
    c
}

fn risks(f: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Ok(p) = &f.policy {
        for (name, t) in &p.groups {
            if t.neither > 0 {
                out.push(
                    Finding::blocking(
                        RuleId::new("R1"),
                        FindingSubject::Group {
                            id: String::new(),
                            name: name.clone(),
                        },
                        format!(
                            "{} users in the rollout group \"{name}\" hold no usable Entra \
                             method: they would be locked out or forced to register",
                            t.neither
                        ),
                    )
                    .with_fix("migrate them, or take the group out of Staged Rollout"),
                );
            }
        }
    }
    if let Ok(i) = &f.inventory
        && i.loaded
        && i.closed < i.total
    {
        out.push(Finding::warning(
            RuleId::new("fin.dependencies"),
            FindingSubject::Tenant,
            format!(
                "{} dependencies still use MFA Server ({})",
                i.total - i.closed,
                sample(&i.open_sample, i.total - i.closed)
            ),
        ));
    }
    if let Some(first) = f.data.recorded.first()
        && !f.data.inputs.is_empty()
        && !f.data.inputs.iter().any(|i| i.sha256 == first.sha256)
    {
        out.push(Finding::warning(
            RuleId::new("prep.backup"),
            FindingSubject::Tenant,
            "the data file differs from the recorded backup",
        ));
    }
    out
}

fn rollback_by_hand(f: &Facts) -> Vec<String> {
    let backup = match f.data.recorded.first() {
        Some(r) => format!(
            "restore the backed-up data file: the one recorded {} with SHA-256 {} ({} bytes)",
            r.first_seen.format("%Y-%m-%d %H:%M UTC"),
            r.sha256,
            r.size
        ),
        None => "restore the backed-up data file (no hash recorded yet: load the backup once \
                 so the tool records it)"
            .to_string(),
    };
    vec![
        "reinstall the previous MFA Server build (the installer kept at prep.backup)".into(),
        backup,
        "methods users changed in Entra since the migration are not copied back to MFA Server"
            .into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(major_minor("8.1.2.3"), Some((8, 1)));
        assert_eq!(major_minor("v7"), Some((7, 0)));
        assert_eq!(major_minor("eight"), None);
        assert!(major_minor("8.0.1").is_some_and(|v| v < (8, 1)));
        assert!(major_minor("10.0").is_some_and(|v| v >= (8, 1)));
    }

    fn quiet() -> Facts {
        Facts {
            now: chrono::DateTime::UNIX_EPOCH,
            end_state: None,
            started_at: None,
            inventory: Err("not read".into()),
            data: Default::default(),
            access: super::super::facts::AccessFacts {
                account: "admin@contoso.com".into(),
                roles: Vec::new(),
                capabilities: None,
            },
            methods: Err("not read".into()),
            waves: Ok(Vec::new()),
            policy: Ok(Default::default()),
            failed_users: 0,
            domains: Ok(Vec::new()),
            cloud_auth: Err("not read".into()),
            ticks: Vec::new(),
        }
    }

    #[test]
    fn begun_by_an_end_state_a_tick_or_a_tenant_change() {
        assert!(!evaluate(&quiet()).begun);
        let mut f = quiet();
        f.end_state = Some(EndState::MfaServerOnly);
        assert!(evaluate(&f).begun);
        let mut f = quiet();
        f.ticks.push(Tick {
            step: "fin.portal".into(),
            done: true,
            note: None,
            actor: "admin@contoso.com".into(),
            at: f.now,
            forced: false,
        });
        assert!(evaluate(&f).begun);
        let mut f = quiet();
        f.policy = Ok(super::super::facts::PolicyFacts {
            exists: true,
            enabled: true,
            groups: Vec::new(),
        });
        assert!(evaluate(&f).begun);
        let mut f = quiet();
        f.waves = Ok(vec![WaveFacts {
            name: "Pilot".into(),
            migrate_group: "MFA Pilot".into(),
            migrate: Some(Tally {
                migrated: 3,
                ..Default::default()
            }),
            rollout_group: "MFA Rollout Pilot".into(),
            rollout: None,
            in_policy: false,
        }]);
        assert!(evaluate(&f).begun);
    }
}
