//! `mfa-cutover whoami`: sign in as configured, read the tenant's domains as a first
//! Graph call, and show who the tool acts as — tenant, cloud, account, token kind,
//! roles, permissions, expiry — with notes on what that identity cannot do. The admin's
//! first check that access works. The token itself is never printed, and every value
//! from the token's claims or from Graph passes through [`safe_text`](crate::safe_text).
//! A token Graph answers 401 to is reported as not signed in (exit 1).

use chrono::Utc;
use clap::Args;
use serde::Serialize;

use super::headless::{auth_error, stderr_prompt};
use super::{CliError, Exit, GlobalArgs};
use crate::config::AuthKind;
use crate::graph::auth::{SignInOptions, sign_in};
use crate::graph::model::Domain;
use crate::graph::{ClientOptions, GraphClient, Identity, Limits, TokenKind};
use crate::safe_text;

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
    /// False when Graph refused the token (401): the sign-in gave a token Graph does not
    /// take, so nothing will work.
    pub signed_in: bool,
    /// `--auth` kind.
    pub auth: &'static str,
    /// How tokens are obtained (`device code`, `client certificate`, …).
    pub token_source: &'static str,
    pub graph: GraphCheck,
    /// What this identity will not be able to do.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GraphCheck {
    pub root: String,
    /// The host the token is sent to.
    pub host: String,
    pub reachable: bool,
    pub domains: Vec<DomainLine>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
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

const WRITE_ROLES: &[&str] = &[
    "Global Administrator",
    "Authentication Administrator",
    "Privileged Authentication Administrator",
];
const ROLLOUT_ROLES: &[&str] = &["Global Administrator", "Hybrid Identity Administrator"];

/// What the identity is missing for the tool's work (an early hint; `preflight`
/// checks thoroughly).
pub fn notes(identity: &Identity) -> Vec<String> {
    let mut notes = Vec::new();
    let has = |names: &[&str]| identity.roles.iter().any(|r| names.contains(&r.as_str()));
    let has_perm = |p: &str| {
        identity
            .permissions
            .iter()
            .any(|q| q.eq_ignore_ascii_case(p))
    };
    match identity.kind {
        TokenKind::AppOnly => {
            notes.push(
                "app-only token: Staged Rollout refuses it; sign in with --auth device-code as \
                 a Hybrid Identity Administrator for `rollout`"
                    .to_string(),
            );
            if !has_perm("UserAuthenticationMethod.ReadWrite.All") {
                notes.push(
                    "the application lacks UserAuthenticationMethod.ReadWrite.All: migration \
                     cannot write methods"
                        .to_string(),
                );
            }
        }
        TokenKind::Delegated => {
            if !has(WRITE_ROLES) {
                notes.push(
                    "no Authentication Administrator or Privileged Authentication Administrator \
                     role: migration cannot write other users' methods"
                        .to_string(),
                );
            }
            if !has(ROLLOUT_ROLES) {
                notes.push(
                    "no Hybrid Identity Administrator role: Staged Rollout changes will be refused"
                        .to_string(),
                );
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

/// The human rendering. Claims and Graph's answers are untrusted text: each value goes
/// through [`safe_text::terminal`](crate::safe_text::terminal) as its line is written.
pub fn render_text(r: &WhoamiReport) -> String {
    let id = &r.identity;
    let mut out = String::new();
    let mut line =
        |k: &str, v: String| out.push_str(&format!("  {k:<12} {}\n", safe_text::terminal(&v)));
    let tenant_id = if id.tenant_id.is_empty() {
        "(not in the token)"
    } else {
        id.tenant_id.as_str()
    };
    let tenant = match &id.tenant_name {
        Some(n) => format!("{tenant_id} ({n})"),
        None => tenant_id.to_string(),
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
    line("Account", id.account.clone());
    line("Graph host", r.graph.host.clone());
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
            id.roles.join(", ")
        },
    );
    line(
        "Permissions",
        if id.permissions.is_empty() {
            "(none)".to_string()
        } else {
            id.permissions.join(" ")
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
                    Some(t) => format!("{} ({})", d.id, t.to_ascii_lowercase()),
                    None => d.id.clone(),
                })
                .collect();
            format!("reachable; domains: {}", names.join(", "))
        } else if !r.signed_in {
            format!(
                "refused the token: {}",
                r.graph.error.as_deref().unwrap_or("unknown error")
            )
        } else {
            format!(
                "NOT reachable: {}",
                r.graph.error.as_deref().unwrap_or("unknown error")
            )
        },
    );
    let mut text = if r.signed_in {
        format!("Signed in\n{out}")
    } else {
        format!(
            "NOT signed in: Graph at {} answered 401 (Unauthorized) to the {} token\n{out}",
            safe_text::terminal(&r.graph.host),
            r.token_source
        )
    };
    if !r.notes.is_empty() {
        text.push_str("Notes\n");
        for n in &r.notes {
            text.push_str(&format!("  - {}\n", safe_text::terminal_lines(n)));
        }
    }
    text
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

pub fn run(global: &GlobalArgs, args: &WhoamiArgs) -> Result<Exit, CliError> {
    let config = global.config()?;
    let _log = crate::logging::init(&config.state_dir, global.verbose, true)
        .map_err(|e| CliError::bad_input(format!("cannot open the log directory: {e}")))?;
    let mut opts = SignInOptions::from_config(&config, AuthKind::DeviceCode).map_err(auth_error)?;
    opts.prompt = Some(stderr_prompt());
    let root = opts.graph_root.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(async {
        let session = sign_in(opts).await.map_err(auth_error)?;
        let client = GraphClient::new(
            session.tokens.clone(),
            ClientOptions::new(root.clone(), Limits::from_settings(&config.graph)),
        )
        .map_err(|e| CliError::failure(e.to_string()))?;
        let mut identity = session.identity.clone();
        let mut signed_in = true;
        let graph = match client.list_domains().await {
            Ok(domains) => {
                identity.tenant_name = super::headless::primary_domain(&domains);
                GraphCheck {
                    root: root.to_string(),
                    host: root.host(),
                    reachable: true,
                    domains: domains.iter().map(DomainLine::from).collect(),
                    error: None,
                }
            }
            Err(e) => {
                signed_in = e.status() != Some(401);
                GraphCheck {
                    root: root.to_string(),
                    host: root.host(),
                    reachable: false,
                    domains: Vec::new(),
                    error: Some(e.to_string()),
                }
            }
        };
        let mut notes = notes(&identity);
        if !signed_in {
            notes.insert(0, unauthorized_note(session.kind.name(), &root.host()));
        }
        Ok::<_, CliError>(WhoamiReport {
            notes,
            identity,
            signed_in,
            auth: session.kind.name(),
            token_source: session.tokens.describe(),
            graph,
        })
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render_text(&report));
    }
    Ok(if report.graph.reachable {
        Exit::Success
    } else {
        Exit::Failure
    })
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
            ],
        );
        assert!(notes(&full).is_empty(), "{:?}", notes(&full));
        let reader = identity(TokenKind::Delegated, &["Global Reader"]);
        let n = notes(&reader);
        assert_eq!(n.len(), 2, "{n:?}");
        let app = identity(TokenKind::AppOnly, &[]);
        let n = notes(&app);
        assert!(n[0].contains("Staged Rollout refuses"), "{n:?}");
        assert!(
            n[1].contains("UserAuthenticationMethod.ReadWrite.All"),
            "{n:?}"
        );
    }

    #[test]
    fn text_shows_each_line() {
        let r = WhoamiReport {
            identity: identity(TokenKind::Delegated, &["Authentication Administrator"]),
            signed_in: true,
            auth: "device-code",
            token_source: "device code",
            graph: GraphCheck {
                root: "https://graph.microsoft.com".into(),
                host: "graph.microsoft.com".into(),
                reachable: true,
                domains: vec![DomainLine {
                    id: "contoso.com".into(),
                    authentication_type: Some("Federated".into()),
                    is_verified: Some(true),
                }],
                error: None,
            },
            notes: vec!["a note".into()],
        };
        let text = render_text(&r);
        for needle in [
            "Tenant       t-1 (contoso.com)",
            "Account      admin@contoso.com",
            "Token        delegated, device code",
            "Roles        Authentication Administrator",
            "Graph        reachable; domains: contoso.com (federated)",
            "Graph host   graph.microsoft.com",
            "  - a note",
        ] {
            assert!(text.contains(needle), "{needle:?} in\n{text}");
        }
    }

    #[test]
    fn claims_cannot_drive_the_terminal() {
        let mut id = identity(TokenKind::Delegated, &["Global Reader\x1b]0;pwned\x07"]);
        id.account = "admin\x1b[2J@contoso.com".into();
        id.tenant_name = Some("contoso\u{202e}moc.com".into());
        let r = WhoamiReport {
            identity: id,
            signed_in: false,
            auth: "token",
            token_source: "bearer token",
            graph: GraphCheck {
                root: "https://graph.microsoft.com".into(),
                host: "graph.microsoft.com".into(),
                reachable: false,
                domains: vec![],
                error: Some("401 \x1b[31mInvalidAuthenticationToken".into()),
            },
            notes: vec!["note\x07".into()],
        };
        let text = render_text(&r);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("admin\\x1b[2J@contoso.com"), "{text}");
        assert!(text.starts_with("NOT signed in: Graph at graph.microsoft.com answered 401"));
    }
}
