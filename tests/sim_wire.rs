//! What the simulated tenant adds on the wire: the bearer-token check, the device-code
//! sign-in, throttling with Retry-After, injected faults and latency, and `$batch`.

mod sim_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mfa_cutover::sim::{DeviceFlow, FaultSpec, Quotas, Sim, SimConfig, TokenKind, WriteOp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::{Client, start};

#[tokio::test]
async fn requests_without_a_valid_token_get_401_with_graphs_error_body() {
    let sim = start(10).await;
    let url = format!("{}/v1.0/users", sim.url());
    let http = reqwest::Client::new();

    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert!(body["error"]["innerError"]["request-id"].is_string());
    assert!(body["error"]["innerError"]["date"].is_string());

    for bad in [
        "garbage".to_string(),
        format!("{}x", sim.token()),
        sim.mint_token(TokenKind::Delegated, Duration::ZERO, None),
    ] {
        let r = http.get(&url).bearer_auth(&bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    // Another simulated tenant's token is refused: each signs with its own key.
    let other = start(5).await;
    let r = http
        .get(&url)
        .bearer_auth(other.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = http
        .get(&url)
        .bearer_auth(sim.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sim.stats().unauthorized, 5);

    // The token carries who is signed in.
    let admin = claims(sim.token());
    assert_eq!(admin["idtyp"], "user");
    assert_eq!(admin["tid"], sim.tenant_id());
    assert!(
        admin["scp"]
            .as_str()
            .unwrap()
            .contains("Policy.ReadWrite.HybridAuthentication")
    );
    assert!(
        admin["wids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2")
    );
    let app = claims(&sim.app_token());
    assert_eq!(app["idtyp"], "app");
    assert!(
        app["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "UserAuthenticationMethod.ReadWrite.All")
    );
}

/// The claims of a JWT, read as a client reads them (no signature check).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.as_bytes())
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn a_fixed_token_is_accepted_as_the_admin() {
    let sim = Sim::start(SimConfig {
        users: 5,
        token: Some("fixed-test-token".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(sim.token(), "fixed-test-token");
    let c = Client::new(&sim);
    assert_eq!(c.get("/v1.0/domains").await.status, StatusCode::OK);
}

#[tokio::test]
async fn scopes_are_enforced() {
    let sim = start(10).await;
    let read_only = sim.mint_token(
        TokenKind::Delegated,
        Duration::from_secs(60),
        Some(&["User.Read.All"]),
    );
    let c = Client::new(&sim).with_token(read_only);
    assert_eq!(c.get("/v1.0/users?$top=1").await.status, StatusCode::OK);
    let upn = sim.inspect(|t| t.users().next().unwrap().upn().to_string());
    let a = c
        .post(
            &format!("/v1.0/users/{upn}/authentication/phoneMethods"),
            json!({"phoneNumber": "+1 4255550100", "phoneType": "office"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.code(), "Authorization_RequestDenied");
}

async fn form(http: &reqwest::Client, url: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = http.post(url).form(pairs).send().await.expect("an answer");
    (r.status(), r.json().await.expect("JSON"))
}

#[tokio::test]
async fn device_code_sign_in_polls_slows_down_and_refreshes() {
    let sim = start(10).await;
    sim.set_device_flow(DeviceFlow {
        interval: Duration::from_millis(300),
        pending_polls: 1,
        ..DeviceFlow::default()
    });
    let http = reqwest::Client::new();
    let authority = format!("{}/contoso.onmicrosoft.com/oauth2/v2.0", sim.url());
    let (s, dc) = form(
        &http,
        &format!("{authority}/devicecode"),
        &[
            ("client_id", "app"),
            (
                "scope",
                "https://graph.microsoft.com/.default offline_access",
            ),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{dc}");
    assert!(dc["user_code"].is_string());
    assert!(
        dc["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(sim.url())
    );
    assert!(
        dc["message"]
            .as_str()
            .unwrap()
            .contains(dc["user_code"].as_str().unwrap())
    );
    let device_code = dc["device_code"].as_str().unwrap();
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "app"),
        ("device_code", device_code),
    ];
    let token_url = format!("{authority}/token");

    let (s, r) = form(&http, &token_url, &poll).await;
    assert_eq!(
        (s, r["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("authorization_pending"))
    );
    let (_, r) = form(&http, &token_url, &poll).await;
    assert_eq!(r["error"], "slow_down", "polled at once");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (s, r) = form(&http, &token_url, &poll).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let access = r["access_token"].as_str().unwrap().to_string();
    let refresh = r["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(r["token_type"], "Bearer");
    assert!(r["expires_in"].as_u64().unwrap() > 3000);
    assert_eq!(claims(&access)["idtyp"], "user");
    let c = Client::new(&sim).with_token(access);
    assert_eq!(
        c.get("/v1.0/policies/featureRolloutPolicies").await.status,
        StatusCode::OK
    );

    // The code is used up; the refresh token rotates.
    let (s, _) = form(&http, &token_url, &poll).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("client_id", "app"),
        ("refresh_token", refresh.as_str()),
    ];
    let (s, r) = form(&http, &token_url, &refresh_form).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_ne!(r["refresh_token"].as_str().unwrap(), refresh);
    let (s, r) = form(&http, &token_url, &refresh_form).await;
    assert_eq!(
        (s, r["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // An unknown tenant, an unconsented scope.
    let (s, r) = form(
        &http,
        &format!("{}/fabrikam.com/oauth2/v2.0/devicecode", sim.url()),
        &[("client_id", "app"), ("scope", ".default")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    let (s, r) = form(
        &http,
        &format!("{authority}/devicecode"),
        &[
            ("client_id", "app"),
            ("scope", "https://graph.microsoft.com/Mail.Send"),
        ],
    )
    .await;
    assert_eq!(
        (s, r["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn device_codes_expire_and_can_be_declined() {
    let sim = start(10).await;
    let http = reqwest::Client::new();
    let authority = format!("{}/{}/oauth2/v2.0", sim.url(), sim.tenant_id());
    let start_flow = |flow: DeviceFlow| {
        sim.set_device_flow(flow);
        let http = http.clone();
        let authority = authority.clone();
        async move {
            let (_, dc) = form(
                &http,
                &format!("{authority}/devicecode"),
                &[
                    ("client_id", "app"),
                    ("scope", "https://graph.microsoft.com/.default"),
                ],
            )
            .await;
            dc["device_code"].as_str().unwrap().to_string()
        }
    };
    let expiring = start_flow(DeviceFlow {
        interval: Duration::ZERO,
        expires_in: Duration::from_millis(200),
        ..DeviceFlow::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let poll = |code: String| {
        let http = http.clone();
        let url = format!("{authority}/token");
        async move {
            form(
                &http,
                &url,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", "app"),
                    ("device_code", &code),
                ],
            )
            .await
        }
    };
    let (_, r) = poll(expiring).await;
    assert_eq!(r["error"], "expired_token");

    let declined = start_flow(DeviceFlow {
        interval: Duration::ZERO,
        pending_polls: 0,
        deny: true,
        ..DeviceFlow::default()
    })
    .await;
    let (_, r) = poll(declined).await;
    assert_eq!(r["error"], "authorization_declined");

    // No offline_access, no refresh token.
    let plain = start_flow(DeviceFlow {
        interval: Duration::ZERO,
        pending_polls: 0,
        ..DeviceFlow::default()
    })
    .await;
    let (s, r) = poll(plain).await;
    assert_eq!(s, StatusCode::OK);
    assert!(r.get("refresh_token").is_none());

    // Client credentials give an app-only token, which Staged Rollout refuses.
    let (s, r) = form(
        &http,
        &format!("{authority}/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_secret", "s"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let app = Client::new(&sim).with_token(r["access_token"].as_str().unwrap().to_string());
    assert_eq!(
        app.get("/v1.0/policies/featureRolloutPolicies")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/v1.0/domains").await.status, StatusCode::OK);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_and_lets_waiting_clients_through() {
    let sim = Sim::start(SimConfig {
        users: 20,
        quotas: Some(Quotas {
            writes_per_window: 4,
            write_window: Duration::from_secs(2),
            resource_units: 1000,
            ru_window: Duration::from_secs(10),
        }),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::new(&sim);
    let upn = sim.inspect(|t| t.users().next().unwrap().upn().to_string());
    let req = format!("/beta/users/{upn}/authentication/requirements");
    for _ in 0..4 {
        let a = c.patch(&req, json!({"perUserMfaState": "enabled"})).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        assert_eq!(a.header("x-ms-resource-unit"), Some("1"));
    }
    let a = c.patch(&req, json!({"perUserMfaState": "enabled"})).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.code(), "TooManyRequests");
    assert_eq!(a.body["error"]["innerError"]["status"], "429");
    assert_eq!(
        a.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    assert!(
        a.header("x-ms-throttle-scope")
            .unwrap()
            .starts_with("Tenant_Application/Write/")
    );
    let wait: f64 = a.header("Retry-After").unwrap().parse().unwrap();
    assert!(
        wait > 0.0 && wait <= 0.5,
        "one write comes back every 0.5 s: {wait}"
    );
    // Reads go on while writes are throttled.
    assert_eq!(c.get(&req).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    assert_eq!(
        c.patch(&req, json!({"perUserMfaState": "enabled"}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sim.stats().throttled, 1);
    assert_eq!(sim.stats().writes, 5);

    // Resource units: GET /users costs 2, less 1 for $select.
    sim.set_quotas(Some(Quotas {
        writes_per_window: 100,
        write_window: Duration::from_secs(10),
        resource_units: 5,
        ru_window: Duration::from_secs(60),
    }));
    assert_eq!(
        c.get("/v1.0/users?$top=50")
            .await
            .header("x-ms-resource-unit"),
        Some("2")
    );
    assert_eq!(c.get("/v1.0/users?$top=50").await.status, StatusCode::OK);
    assert_eq!(
        c.get("/v1.0/users?$select=id")
            .await
            .header("x-ms-resource-unit"),
        Some("1")
    );
    let a = c.get("/v1.0/users").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        a.header("x-ms-throttle-information"),
        Some("ResourceUnitLimitExceeded")
    );

    sim.set_quotas(None);
    assert_eq!(c.get("/v1.0/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn batch_runs_items_with_dependencies_and_answers_by_id() {
    let sim = start(30).await;
    let c = Client::new(&sim);
    let (a_upn, b_upn) = sim.inspect(|t| {
        let mut no_phone = t.users().filter(|u| u.phones().is_empty());
        (
            no_phone.next().unwrap().upn().to_string(),
            no_phone.next().unwrap().upn().to_string(),
        )
    });
    let json_headers = json!({"Content-Type": "application/json"});
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/users/{a_upn}/authentication/phoneMethods"),
         "headers": json_headers, "body": {"phoneNumber": "+1 4255550100", "phoneType": "mobile"}},
        {"id": "2", "method": "POST", "url": format!("/users/{a_upn}/authentication/phoneMethods"), "dependsOn": ["1"],
         "headers": json_headers, "body": {"phoneNumber": "+1 4255550101", "phoneType": "alternateMobile"}},
        {"id": "3", "method": "POST", "url": format!("/users/{b_upn}/authentication/phoneMethods"),
         "headers": json_headers, "body": {"phoneNumber": "not a number", "phoneType": "mobile"}},
        {"id": "4", "method": "GET", "url": format!("/users/{b_upn}/authentication/phoneMethods"), "dependsOn": ["3"]},
        {"id": "5", "method": "GET", "url": "/users?$filter=startsWith(displayName,'A')&$select=id&$count=true",
         "headers": {"ConsistencyLevel": "eventual"}},
        {"id": "6", "method": "POST", "url": format!("/users/{b_upn}/authentication/phoneMethods"),
         "body": {"phoneNumber": "+1 4255550102", "phoneType": "mobile"}},
        {"id": "7", "method": "GET", "url": format!("{}/v1.0/users", sim.url())},
    ]});
    let a = c.post("/v1.0/$batch", body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let answers: HashMap<String, Value> = a.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    assert_eq!(answers.len(), 7);
    assert_eq!(answers["1"]["status"], 201);
    assert_eq!(answers["1"]["body"]["phoneType"], "mobile");
    assert_eq!(answers["2"]["status"], 201, "ran after its dependency");
    assert_eq!(answers["3"]["status"], 400);
    assert_eq!(answers["4"]["status"], 424, "its dependency failed");
    assert_eq!(answers["5"]["status"], 200, "{}", answers["5"]);
    assert!(answers["5"]["body"]["@odata.count"].is_number());
    assert_eq!(answers["6"]["status"], 400, "a body needs headers");
    assert_eq!(answers["7"]["status"], 400, "urls are relative");
    assert_eq!(sim.stats().batch_items, 7);
    sim.inspect(|t| {
        assert_eq!(t.user(&a_upn).unwrap().phones().len(), 2);
        assert!(t.write_log().iter().all(|w| w.in_batch));
    });

    // Envelope-level refusals.
    let dup = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/domains"},
        {"id": "A", "method": "GET", "url": "/domains"},
    ]});
    assert_eq!(
        c.post("/v1.0/$batch", dup).await.status,
        StatusCode::BAD_REQUEST,
        "ids are case-insensitive"
    );
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/domains"}))
        .collect();
    assert_eq!(
        c.post("/v1.0/$batch", json!({"requests": many}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let cycle = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/domains", "dependsOn": ["b"]},
        {"id": "b", "method": "GET", "url": "/domains", "dependsOn": ["a"]},
    ]});
    assert_eq!(
        c.post("/v1.0/$batch", cycle).await.status,
        StatusCode::BAD_REQUEST
    );
    let unknown =
        json!({"requests": [{"id": "a", "method": "GET", "url": "/domains", "dependsOn": ["z"]}]});
    assert_eq!(
        c.post("/v1.0/$batch", unknown).await.status,
        StatusCode::BAD_REQUEST
    );
    // Beta batches reach beta resources.
    let beta = json!({"requests": [{"id": "p", "method": "GET", "url": format!("/users/{a_upn}/authentication/signInPreferences")}]});
    assert_eq!(
        c.post("/beta/$batch", beta.clone()).await.body["responses"][0]["status"],
        200
    );
    assert_eq!(
        c.post("/v1.0/$batch", beta).await.body["responses"][0]["status"],
        400
    );
}

#[tokio::test]
async fn batch_items_are_throttled_one_by_one() {
    let sim = Sim::start(SimConfig {
        users: 10,
        quotas: Some(Quotas {
            writes_per_window: 2,
            write_window: Duration::from_secs(60),
            resource_units: 1000,
            ru_window: Duration::from_secs(10),
        }),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::new(&sim);
    let upns: Vec<String> =
        sim.inspect(|t| t.users().take(4).map(|u| u.upn().to_string()).collect());
    let requests: Vec<Value> = upns
        .iter()
        .enumerate()
        .map(|(i, u)| {
            json!({"id": format!("w{i}"), "method": "PATCH", "url": format!("/users/{u}/authentication/requirements"),
                   "headers": {"Content-Type": "application/json"}, "body": {"perUserMfaState": "enforced"}})
        })
        .collect();
    let a = c.post("/beta/$batch", json!({"requests": requests})).await;
    assert_eq!(a.status, StatusCode::OK);
    let responses = a.body["responses"].as_array().unwrap();
    let ok = responses.iter().filter(|r| r["status"] == 204).count();
    let throttled: Vec<&Value> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert_eq!((ok, throttled.len()), (2, 2));
    for r in throttled {
        let wait: f64 = r["headers"]["Retry-After"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait > 0.0);
        assert_eq!(r["body"]["error"]["code"], "TooManyRequests");
    }
    assert_eq!(sim.stats().throttled, 2);
}

#[tokio::test]
async fn faults_happen_at_their_rates_and_drops_commit_the_write() {
    let sim = start(20).await;
    let c = Client::new(&sim);

    sim.set_faults("5xx=1".parse().unwrap());
    let a = c.get("/v1.0/domains").await;
    assert!(matches!(a.status.as_u16(), 500 | 503 | 504), "{}", a.status);
    assert!(a.body["error"]["code"].is_string());

    sim.set_faults("reset=1".parse().unwrap());
    let r = c
        .http
        .get(format!("{}/v1.0/domains", sim.url()))
        .bearer_auth(sim.token())
        .send()
        .await;
    assert!(r.is_err(), "the connection is dropped without an answer");

    // Commit-then-drop: the client sees a failure, the tenant has the write.
    let upn = sim.inspect(|t| {
        t.users()
            .find(|u| u.phones().is_empty())
            .unwrap()
            .upn()
            .to_string()
    });
    sim.set_faults("drop=1".parse().unwrap());
    let r = c
        .http
        .post(format!(
            "{}/v1.0/users/{upn}/authentication/phoneMethods",
            sim.url()
        ))
        .bearer_auth(sim.token())
        .json(&json!({"phoneNumber": "+1 4255550100", "phoneType": "mobile"}))
        .send()
        .await;
    assert!(r.is_err());
    sim.inspect(|t| {
        assert_eq!(t.user(&upn).unwrap().phones().len(), 1);
        assert!(matches!(
            t.write_log().last().unwrap().op,
            WriteOp::AddPhone(_)
        ));
    });
    // Sign-in is never faulted.
    let r = c
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/devicecode",
            sim.url(),
            sim.tenant_id()
        ))
        .form(&[("client_id", "x"), ("scope", ".default")])
        .send()
        .await;
    assert!(r.is_ok());

    // Rates over many requests.
    sim.set_faults(FaultSpec {
        server_error: 0.2,
        reset: 0.1,
        commit_then_drop: 0.1,
        seed: 11,
    });
    let before = sim.stats();
    let n = 400;
    let (mut errors, mut ok_5xx, mut ok) = (0, 0, 0);
    for _ in 0..n {
        match c
            .http
            .get(format!("{}/v1.0/domains", sim.url()))
            .bearer_auth(sim.token())
            .send()
            .await
        {
            Err(_) => errors += 1,
            Ok(r) if r.status().is_server_error() => ok_5xx += 1,
            Ok(_) => ok += 1,
        }
    }
    let s = sim.stats();
    let d = |a: u64, b: u64| (a - b) as i64;
    assert_eq!(d(s.faults.server_error, before.faults.server_error), ok_5xx);
    assert_eq!(
        d(s.faults.reset, before.faults.reset)
            + d(s.faults.commit_then_drop, before.faults.commit_then_drop),
        errors
    );
    assert_eq!(ok + ok_5xx + errors, n);
    let near = |count: i64, p: f64| ((count as f64) - p * n as f64).abs() < 40.0;
    assert!(near(ok_5xx, 0.2), "5xx {ok_5xx}");
    assert!(near(errors, 0.2), "dropped {errors}");

    sim.set_faults(FaultSpec::none());
    assert_eq!(c.get("/v1.0/domains").await.status, StatusCode::OK);
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let sim = Sim::start(SimConfig {
        users: 5,
        latency: Duration::from_millis(120),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = Client::new(&sim);
    let t0 = Instant::now();
    assert_eq!(c.get("/v1.0/domains").await.status, StatusCode::OK);
    assert!(t0.elapsed() >= Duration::from_millis(120));
    sim.set_latency(Duration::ZERO);
    assert_eq!(c.get("/v1.0/domains").await.status, StatusCode::OK);
}

#[tokio::test]
async fn refuses_to_listen_beyond_loopback_and_stops_on_shutdown() {
    let r = Sim::start(SimConfig {
        users: 1,
        listen: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    })
    .await;
    assert!(r.is_err());

    let sim = start(5).await;
    let url = format!("{}/v1.0/domains", sim.url());
    let token = sim.token().to_string();
    sim.shutdown().await;
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await;
    assert!(r.is_err(), "nobody listens any more");
}

/// `mfa-cutover sim` prints its URL and token, and serves Graph with them.
#[tokio::test]
async fn the_sim_subcommand_prints_url_and_token_and_serves() {
    use std::io::BufRead;
    let bin = assert_cmd::cargo::cargo_bin("mfa-cutover");
    let mut child = std::process::Command::new(bin)
        .args(["sim", "--users", "50", "--seed", "3", "--latency-ms", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut url, mut token) = (None, None);
    while token.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the sim prints its banner");
        if let Some(u) = line.strip_prefix("Simulated tenant (not a real tenant) at ") {
            url = Some(u.trim().to_string());
        }
        if let Some(t) = line
            .trim()
            .strip_prefix("export MFA_CUTOVER_ACCESS_TOKEN='")
        {
            token = Some(t.trim_end_matches('\'').to_string());
        }
    }
    let (url, token) = (url.expect("a url"), token.expect("a token"));
    assert!(url.starts_with("http://127.0.0.1:"));
    let r = reqwest::Client::new()
        .get(format!("{url}/v1.0/users?$top=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["value"].as_array().map(Vec::len), Some(5));
    child.kill().unwrap();
    child.wait().unwrap();

    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("mfa-cutover"))
        .args(["sim", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
