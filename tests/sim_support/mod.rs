//! A plain HTTP client for the simulated tenant's tests: reqwest, JSON, no client types
//! of the project, so the tests read the wire as any Graph client would.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub fn new(sim: &mfa_cutover::sim::Sim) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: sim.url().to_string(),
            token: sim.token().to_string(),
        }
    }

    pub fn with_token(mut self, token: String) -> Client {
        self.token = token;
        self
    }

    /// `path` is relative to the Graph root (`/v1.0/users`) or absolute (a nextLink).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.http.request(method, url).bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("the sim answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, &[], None).await
    }

    pub async fn get_eventual(&self, path: &str) -> Answer {
        self.call(Method::GET, path, &[("ConsistencyLevel", "eventual")], None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, &[], Some(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, &[], Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, &[], None).await
    }
}

pub async fn start(users: usize) -> mfa_cutover::sim::Sim {
    mfa_cutover::sim::Sim::start(mfa_cutover::sim::SimConfig {
        users,
        ..Default::default()
    })
    .await
    .expect("the sim starts")
}

/// A current TOTP code computed by the project's own OTP code, so the sim's check and
/// the client's computation meet here.
pub fn totp_now(secret_base32: &str, step: u64) -> String {
    use mfa_cutover::datafile::{HashFunction, TimeStep};
    let secret = mfa_cutover::secret::OathSecret::from_base32(secret_base32).expect("base32");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let step = TimeStep::from_secs(step as i64).expect("30 or 60");
    mfa_cutover::otp::totp(&secret, step, HashFunction::HmacSha1, now)
}
