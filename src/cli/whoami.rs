//! `mfa-cutover whoami`: sign in as configured, read the tenant's domains as a first
//! Graph call, and show who the tool acts as — tenant, cloud, account, token kind,
//! roles, permissions, expiry — with notes on what that identity cannot do. The admin's
//! first check that access works. The token itself is never printed.

use chrono::Utc;
use clap::Args;
use serde::Serialize;

use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
#[cfg(test)]
use crate::engine::DomainLine;
use crate::engine::{Access, Capabilities, Capability, DataUse, GraphCheck, Identity};
use crate::graph::TokenKind;
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct WhoamiArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `whoami` found.
#[derive(Debug, Clone, Serialize)]
pub struct WhoamiReport {
    pub identity: Identity,
    /// `--auth` kind.
    pub auth: &'static str,
    /// How tokens are obtained (`device code`, `client certificate`, …).
    pub token_source: &'static str,
    pub graph: GraphCheck,
    /// Graph accepted the token (a 401 means not signed in, whatever the token claims).
    pub signed_in: bool,
    /// What this sign-in can do: the same verdicts the TUI's header and panes use.
    pub capabilities: Capabilities,
    /// What this identity will not be able to do, and what to do about it.
    pub notes: Vec<String>,
}

/// What the capabilities and the token's expiry leave the admin to fix.
pub fn notes(identity: &Identity, caps: &Capabilities) -> Vec<String> {
    let mut notes = Vec::new();
    for (what, c) in [
        ("migration (writing methods)", &caps.write_methods),
        ("the methods policy", &caps.read_policy),
        ("Staged Rollout", &caps.manage_rollout),
        ("the federation setting", &caps.manage_federation),
    ] {
        match c {
            Capability::Available => {}
            Capability::Unverified { note } => notes.push(format!("{what}: {note}")),
            Capability::Unavailable { reason, fix } => {
                notes.push(format!("{what}: {reason} — {fix}"))
            }
        }
    }
    if let Some(exp) = identity.expires_at {
        let left = exp - Utc::now();
        if left < chrono::Duration::minutes(10) {
            notes.push(format!(
                "the token expires in {} min and cannot be renewed by every sign-in kind",
                left.num_minutes().max(0)
            ));
        }
    }
    notes
}

/// The human rendering.
pub fn render_text(r: &WhoamiReport) -> String {
    let id = &r.identity;
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("  {k:<12} {v}\n"));
    let tenant_id = if id.tenant_id.is_empty() {
        "(not in the token)"
    } else {
        id.tenant_id.as_str()
    };
    let tenant = match &id.tenant_name {
        Some(n) => format!("{} ({})", Safe(tenant_id), Safe(n)),
        None => Safe(tenant_id).to_string(),
    };
    line("Tenant", tenant);
    line(
        "Cloud",
        if id.simulated {
            format!("{} (simulated tenant at {})", id.cloud, r.graph.root)
        } else {
            id.cloud.to_string()
        },
    );
    line("Account", Safe(&id.account).to_string());
    line("Graph host", Safe(&r.graph.host).to_string());
    line(
        "Token",
        format!(
            "{}, {}",
            match id.kind {
                TokenKind::Delegated => "delegated",
                TokenKind::AppOnly => "app-only",
            },
            r.token_source
        ),
    );
    line(
        "Roles",
        if id.roles.is_empty() {
            "(none)".to_string()
        } else {
            Safe(&id.roles.join(", ")).to_string()
        },
    );
    line(
        "Permissions",
        if id.permissions.is_empty() {
            "(none)".to_string()
        } else {
            Safe(&id.permissions.join(" ")).to_string()
        },
    );
    line(
        "Expires",
        match id.expires_at {
            Some(e) => format!(
                "{} (in {} min)",
                e.format("%Y-%m-%d %H:%M UTC"),
                (e - Utc::now()).num_minutes().max(0)
            ),
            None => "unknown".to_string(),
        },
    );
    line(
        "Graph",
        if r.graph.reachable {
            let names: Vec<String> = r
                .graph
                .domains
                .iter()
                .map(|d| match &d.authentication_type {
                    Some(t) => format!("{} ({})", Safe(&d.id), Safe(&t.to_ascii_lowercase())),
                    None => Safe(&d.id).to_string(),
                })
                .collect();
            format!(
                "{} reachable; domains: {}",
                Safe(&r.graph.root),
                names.join(", ")
            )
        } else {
            format!(
                "{} NOT reachable: {}",
                Safe(&r.graph.root),
                Safe(r.graph.error.as_deref().unwrap_or("unknown error"))
            )
        },
    );
    let mut text = if r.signed_in {
        format!("Signed in\n{out}")
    } else {
        format!(
            "NOT signed in: Graph at {} answered 401 (Unauthorized) to the {} token\n{out}",
            Safe(&r.graph.host),
            r.token_source
        )
    };
    if !r.notes.is_empty() {
        text.push_str("Notes\n");
        for n in &r.notes {
            text.push_str(&format!("  - {}\n", Safe(n)));
        }
    }
    text
}

pub fn run(global: &GlobalArgs, args: &WhoamiArgs) -> Result<Exit, CliError> {
    let config = global.config()?;
    let settings = config.migration.clone();
    let setup = Setup::with(config, settings, global.verbose, true)?;
    let report = setup.runtime.block_on(async {
        let mut opts = crate::engine::StartOptions::new(
            setup.config.clone(),
            crate::engine::SignIn::AsConfigured {
                default: crate::config::AuthKind::DeviceCode,
                prompt: headless::stderr_prompt(),
            },
            Access::ReadOnly,
        );
        opts.data = DataUse::Skip;
        opts.refuse_unauthorized = false;
        // whoami shows everything the sign-in can do.
        opts.capabilities = crate::graph::auth::CapabilitySet::ALL;
        opts.name_tenant = true;
        let running = crate::engine::start(opts).await.map_err(|e| match e {
            // Graph refused the token: not signed in, whatever the token claims.
            crate::engine::StartError::TokenRefused(m) => {
                CliError::failure(format!("Not signed in: {m}"))
            }
            other => headless::start_error(other),
        })?;
        let session = running.session.clone();
        let graph = running.graph.clone();
        let auth = running.auth;
        let mut engine = running.engine;
        let _ = engine.call(crate::engine::Command::Shutdown, |_| {}).await;
        let signed_in = !graph.unauthorized;
        let mut notes = notes(&session.identity, &session.capabilities);
        if !signed_in {
            notes.insert(0, unauthorized_note(auth.0, &graph.host));
        }
        Ok::<_, CliError>(WhoamiReport {
            notes,
            signed_in,
            identity: session.identity,
            auth: auth.0,
            token_source: auth.1,
            graph,
            capabilities: session.capabilities,
        })
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render_text(&report));
    }
    Ok(if report.graph.reachable && report.signed_in {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// What to do when Graph refuses the token, by how it was obtained.
fn unauthorized_note(auth: &str, host: &str) -> String {
    let how = match auth {
        "token" => {
            "get a fresh one (e.g. `az account get-access-token --resource-type ms-graph`) \
             into MFA_CUTOVER_ACCESS_TOKEN"
        }
        "azure-cli" => "run `az login` again",
        _ => "sign in again, and check the tenant and the app's consent",
    };
    format!(
        "Graph at {host} did not accept the token (expired, revoked, issued for another \
         cloud or tenant, or not a Graph token): {how}"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;

    fn identity(kind: TokenKind, roles: &[&str]) -> Identity {
        Identity {
            tenant_id: "t-1".into(),
            tenant_name: Some("contoso.com".into()),
            cloud: Cloud::Global,
            account: "admin@contoso.com".into(),
            kind,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            permissions: vec!["User.Read.All".into()],
            expires_at: Some(Utc::now() + chrono::Duration::minutes(60)),
            simulated: false,
        }
    }

    #[test]
    fn notes_name_what_is_missing() {
        let full = identity(
            TokenKind::Delegated,
            &[
                "Authentication Administrator",
                "Hybrid Identity Administrator",
                "Global Reader",
            ],
        );
        let caps = Capabilities::of(&full, None, None);
        let n = notes(&full, &caps);
        // The token in the test carries only User.Read.All.
        assert!(n.iter().any(|n| n.starts_with("migration")), "{n:?}");
        let app = identity(TokenKind::AppOnly, &[]);
        let n = notes(&app, &Capabilities::of(&app, None, None));
        assert!(
            n.iter()
                .any(|n| n.starts_with("Staged Rollout") && n.contains("app-only")),
            "{n:?}"
        );
    }

    #[test]
    fn text_shows_each_line() {
        let r = WhoamiReport {
            identity: identity(TokenKind::Delegated, &["Authentication Administrator"]),
            auth: "device-code",
            token_source: "device code",
            signed_in: true,
            graph: GraphCheck {
                root: "https://graph.microsoft.com".into(),
                host: "graph.microsoft.com".into(),
                unauthorized: false,
                reachable: true,
                domains: vec![DomainLine {
                    id: "contoso.com".into(),
                    authentication_type: Some("Federated".into()),
                    is_verified: Some(true),
                }],
                error: None,
            },
            notes: vec!["a note".into()],
            capabilities: Capabilities::of(
                &identity(TokenKind::Delegated, &["Authentication Administrator"]),
                None,
                None,
            ),
        };
        let text = render_text(&r);
        for needle in [
            "Tenant       t-1 (contoso.com)",
            "Account      admin@contoso.com",
            "Token        delegated, device code",
            "Roles        Authentication Administrator",
            "Graph        https://graph.microsoft.com reachable; domains: contoso.com (federated)",
            "  - a note",
        ] {
            assert!(text.contains(needle), "{needle:?} in\n{text}");
        }
    }
}
