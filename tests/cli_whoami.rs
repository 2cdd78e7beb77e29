//! `mfa-cutover whoami` as a process: bad configuration exits 2 with a clear message;
//! a Graph that cannot be reached exits 1 and says so; the token never appears in the
//! output or the log.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;

use assert_cmd::Command;
use data_encoding::BASE64URL_NOPAD;

fn cmd(state: &tempfile::TempDir) -> Command {
    let mut c = Command::cargo_bin("mfa-cutover").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("MFA_CUTOVER_") {
            c.env_remove(k);
        }
    }
    std::fs::write(state.path().join("none.toml"), "").unwrap();
    // A state dir holding other files must be private already: the tool does not close
    // someone's open folder for them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(state.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    c.env("MFA_CUTOVER_STATE_DIR", state.path())
        .env("MFA_CUTOVER_CONFIG", state.path().join("none.toml"))
        .timeout(std::time::Duration::from_secs(60));
    c
}

fn token() -> String {
    let header = BASE64URL_NOPAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "tid": "11111111-2222-3333-4444-555555555555", "upn": "admin@contoso.com",
        "idtyp": "user", "scp": "User.Read.All", "exp": chrono::Utc::now().timestamp() + 3600,
        "wids": ["c4e39bd9-1100-46d3-8c65-fb160da0071f"]
    });
    let payload = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    format!("{header}.{payload}.dGhpcy1pcy10aGUtc2lnbmF0dXJlLXBhcnQ")
}

#[test]
fn plain_http_to_a_remote_graph_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let out = cmd(&state)
        .args([
            "whoami",
            "--graph-url",
            "http://graph.example.com",
            "--auth",
            "token",
        ])
        .env("MFA_CUTOVER_ACCESS_TOKEN", token())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");
}

#[test]
fn token_auth_without_a_token_is_bad_input() {
    let state = tempfile::tempdir().unwrap();
    let out = cmd(&state)
        .args(["whoami", "--auth", "token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MFA_CUTOVER_ACCESS_TOKEN"), "{err}");
}

#[test]
fn unreachable_graph_fails_and_never_shows_the_token() {
    // A loopback port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state = tempfile::tempdir().unwrap();
    let token = token();
    let out = cmd(&state)
        .args([
            "whoami",
            "--json",
            "--graph-url",
            &format!("http://127.0.0.1:{port}"),
            "--auth",
            "token",
        ])
        .env("MFA_CUTOVER_ACCESS_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["identity"]["account"], "admin@contoso.com");
    assert_eq!(json["identity"]["kind"], "delegated");
    assert_eq!(json["identity"]["simulated"], true);
    assert_eq!(json["graph"]["reachable"], false);
    assert!(
        json["graph"]["error"]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{json}"
    );
    let signature = token.rsplit('.').next().unwrap();
    assert!(!stdout.contains(signature));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(signature));
    let mut logged = String::new();
    for entry in std::fs::read_dir(state.path().join("logs")).unwrap() {
        logged.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(logged.contains("graph call got no answer"), "{logged}");
    assert!(logged.contains("client_request_id"), "{logged}");
    assert!(!logged.contains(signature), "the token reached the log");
}

#[test]
fn whoami_against_the_simulated_tenant() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(mfa_cutover::sim::Sim::start(mfa_cutover::sim::SimConfig {
            users: 20,
            ..Default::default()
        }))
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let out = cmd(&state)
        .args([
            "whoami",
            "--json",
            "--graph-url",
            sim.url(),
            "--auth",
            "token",
        ])
        .env("MFA_CUTOVER_ACCESS_TOKEN", sim.token())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["identity"]["kind"], "delegated");
    assert_eq!(json["identity"]["simulated"], true);
    assert_eq!(json["identity"]["tenant_id"], sim.tenant_id());
    assert!(json["identity"]["tenant_name"].is_string(), "{json}");
    let roles = json["identity"]["roles"].to_string();
    assert!(roles.contains("Hybrid Identity Administrator"), "{roles}");
    assert!(roles.contains("Authentication Administrator"), "{roles}");
    assert_eq!(json["graph"]["reachable"], true);
    assert!(json["graph"]["domains"].to_string().contains("contoso.com"));
    assert_eq!(json["notes"], serde_json::json!([]));
    let signature = sim.token().rsplit('.').next().unwrap();
    assert!(!stdout.contains(signature));
    // The human form names the simulated tenant plainly.
    let text = cmd(&state)
        .args(["whoami", "--graph-url", sim.url(), "--auth", "token"])
        .env("MFA_CUTOVER_ACCESS_TOKEN", sim.token())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("simulated tenant at"), "{text}");
    runtime.block_on(sim.shutdown());
}
