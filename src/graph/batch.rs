//! `$batch`: up to 20 requests per envelope, answers matched by id (in any order), and
//! only the failed items retried (graph-api.md §8).
//!
//! Each item is budgeted and throttled on its own: items answered 429 go into a later
//! batch after the longest `Retry-After` (the shared limiter pauses everyone); 5xx items
//! back off and retry if idempotent, otherwise they fail with `outcome_unknown`. An
//! envelope that fails as a whole (429, 503, 424 without answers, 5xx, a dropped
//! connection) is handled as if each of its items had failed that way. One batch
//! targets one version.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{Attempt, Body, GraphClient, Request};
use super::error::{Access, GraphError, GraphErrorKind, TransportFailure};
use super::limiter::{Cost, ThrottleScope};
use super::model::{BatchAnswer, BatchEnvelope, BatchRequestWire, BatchResponseWire};
use super::retry::parse_retry_after;
use super::root::ApiVersion;

/// Graph's limit of requests per `$batch`.
pub const MAX_BATCH: usize = 20;

/// One request of a batch.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub method: Method,
    /// Relative to the version root, e.g. `/users/{id}/authentication/methods`.
    pub url: String,
    pub body: Option<Value>,
    pub advanced_query: bool,
    pub prefer_unknown_enums: bool,
    /// Safe to send again after an unknown outcome (everything but POST).
    pub idempotent: bool,
    pub access: Option<Access>,
}

impl BatchItem {
    pub fn new(method: Method, url: impl Into<String>, body: Option<Value>) -> BatchItem {
        let idempotent = method != Method::POST;
        BatchItem {
            method,
            url: url.into(),
            body,
            advanced_query: false,
            prefer_unknown_enums: false,
            idempotent,
            access: None,
        }
    }

    pub fn get(url: impl Into<String>) -> BatchItem {
        BatchItem::new(Method::GET, url, None)
    }

    pub fn post(url: impl Into<String>, body: Value) -> BatchItem {
        BatchItem::new(Method::POST, url, Some(body))
    }

    pub fn patch(url: impl Into<String>, body: Value) -> BatchItem {
        BatchItem::new(Method::PATCH, url, Some(body))
    }

    pub fn delete(url: impl Into<String>) -> BatchItem {
        BatchItem::new(Method::DELETE, url, None)
    }

    pub fn with_access(mut self, access: Access) -> BatchItem {
        self.access = Some(access);
        self
    }

    /// `ConsistencyLevel: eventual` in the item's own headers (advanced queries).
    pub fn advanced(mut self) -> BatchItem {
        self.advanced_query = true;
        self
    }

    fn cost(&self) -> Cost {
        Cost::of(self.method.as_str(), &self.url)
    }
}

/// One item's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    pub status: u16,
    pub body: Option<Value>,
}

impl BatchResponse {
    /// The body as `T` (a `value`-wrapped single object too).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let bytes = serde_json::to_vec(self.body.as_ref().unwrap_or(&Value::Null))?;
        super::model::parse_single(&bytes)
    }
}

/// Per-item bookkeeping across rounds.
#[derive(Debug, Default, Clone)]
struct ItemState {
    attempts: u32,
    transient: u32,
    throttled: u32,
    maybe_applied: bool,
}

/// What to do with an item after a round.
enum Next {
    Done(Result<BatchResponse, GraphError>),
    /// Send again in a later round; `Some(backoff)` for a 5xx.
    Retry(Option<Duration>),
}

impl GraphClient {
    /// Send `items` in batches of at most 20 against `version`. The answers come back
    /// in the order of `items`, each a response (any 2xx) or the item's error.
    pub async fn batch(
        &self,
        version: ApiVersion,
        items: Vec<BatchItem>,
    ) -> Vec<Result<BatchResponse, GraphError>> {
        let n = items.len();
        let mut results: Vec<Option<Result<BatchResponse, GraphError>>> = vec![None; n];
        let mut states = vec![ItemState::default(); n];
        let mut pending: Vec<usize> = (0..n).collect();
        let mut round = 0u32;
        while !pending.is_empty() {
            round += 1;
            let mut retry = Vec::new();
            let mut backoff: Option<Duration> = None;
            for chunk in pending.chunks(MAX_BATCH) {
                let outcomes = self
                    .batch_round(version, &items, chunk, &mut states, round)
                    .await;
                for (index, next) in outcomes {
                    match next {
                        Next::Done(r) => {
                            if r.is_err() {
                                self.count_failed();
                            }
                            results[index] = Some(r);
                        }
                        Next::Retry(wait) => {
                            backoff = backoff.max(wait);
                            retry.push(index);
                        }
                    }
                }
            }
            if let Some(wait) = backoff {
                super::client::sleep(wait).await;
            }
            pending = retry;
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    Err(GraphError::refused(
                        items[i].method.as_str(),
                        &items[i].url,
                        "the batch ended without an answer for this item",
                    ))
                })
            })
            .collect()
    }

    /// One envelope: send the chunk, sort each item into done or retry.
    async fn batch_round(
        &self,
        version: ApiVersion,
        items: &[BatchItem],
        chunk: &[usize],
        states: &mut [ItemState],
        round: u32,
    ) -> Vec<(usize, Next)> {
        let policy = self.inner.retry.clone();
        let cost = chunk
            .iter()
            .fold(Cost::NONE, |acc, &i| acc + items[i].cost());
        for &i in chunk {
            states[i].attempts += 1;
            if states[i].attempts > 1 {
                self.count_retry();
            }
        }
        self.count_operation(chunk.len() as u64);
        self.inner.limiter.acquire(cost).await;

        let envelope = build_envelope(items, chunk);
        let body = match Body::json(&envelope) {
            Ok(b) => b,
            Err(e) => {
                return chunk
                    .iter()
                    .map(|&i| {
                        let err = GraphError::refused(
                            items[i].method.as_str(),
                            &item_path(version, &items[i]),
                            format!("cannot encode the batch: {e}"),
                        );
                        (i, Next::Done(Err(err)))
                    })
                    .collect();
            }
        };
        drop(envelope);
        let mut req = Request::new(Method::POST, version, "/$batch".to_string()).body(body);
        req.cost = Cost::NONE;
        let attempt = match self.attempt(&req, round, chunk.len() as u32).await {
            Ok(a) => a,
            Err(e) => {
                return chunk
                    .iter()
                    .map(|&i| (i, Next::Done(Err(with_item(&e, version, &items[i])))))
                    .collect();
            }
        };
        match attempt {
            Attempt::Answered {
                status,
                headers,
                body,
                client_request_id,
            } => {
                let answers = if (200..300).contains(&status) || status == 424 {
                    serde_json::from_slice::<BatchAnswer>(&body).ok()
                } else {
                    None
                };
                if let Some(answers) = answers {
                    let mut by_id: HashMap<String, BatchResponseWire> = answers
                        .responses
                        .into_iter()
                        .map(|r| (r.id.to_ascii_lowercase(), r))
                        .collect();
                    return chunk
                        .iter()
                        .map(|&i| {
                            let answer = by_id.remove(&i.to_string());
                            let next = self.judge_item(
                                version,
                                &items[i],
                                &mut states[i],
                                answer,
                                &client_request_id,
                            );
                            (i, next)
                        })
                        .collect();
                }
                // The envelope failed as a whole.
                let retry_after = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now()))
                    .map(|d| d.min(policy.max_retry_after));
                let request_id = headers
                    .get("request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                chunk
                    .iter()
                    .map(|&i| {
                        let item = &items[i];
                        let state = &mut states[i];
                        let mut error = GraphError::from_response(
                            item.method.as_str(),
                            &item_path(version, item),
                            status,
                            &body,
                            request_id.clone(),
                            retry_after,
                            item.access,
                        );
                        error.client_request_id = Some(client_request_id.clone());
                        error.attempts = state.attempts;
                        let next = match status {
                            429 => self.throttled(
                                ThrottleScope::Unknown,
                                retry_after,
                                state,
                                &policy,
                                error,
                            ),
                            503 if retry_after.is_some() => {
                                self.unavailable(retry_after, state, &policy, error)
                            }
                            // 2xx/424 without readable answers, or a server error: the
                            // items may or may not have run.
                            200..=299 | 424 | 408 | 500 | 502 | 503 | 504 | 509 => {
                                unknown_outcome(item, state, error, &policy)
                            }
                            _ => Next::Done(Err(error)),
                        };
                        (i, next)
                    })
                    .collect()
            }
            Attempt::Failed {
                failure,
                detail,
                client_request_id,
            } => chunk
                .iter()
                .map(|&i| {
                    let item = &items[i];
                    let state = &mut states[i];
                    let mut error = GraphError::new(
                        GraphErrorKind::Transport {
                            failure,
                            detail: detail.clone(),
                        },
                        item.method.as_str(),
                        &item_path(version, item),
                    );
                    error.client_request_id = Some(client_request_id.clone());
                    error.attempts = state.attempts;
                    let next = if failure == TransportFailure::Connect {
                        state.transient += 1;
                        if state.transient < policy.max_attempts {
                            Next::Retry(Some(policy.backoff(state.transient)))
                        } else {
                            Next::Done(Err(error))
                        }
                    } else {
                        unknown_outcome(item, state, error, &policy)
                    };
                    (i, next)
                })
                .collect(),
        }
    }

    /// Sort one item's answer.
    fn judge_item(
        &self,
        version: ApiVersion,
        item: &BatchItem,
        state: &mut ItemState,
        answer: Option<BatchResponseWire>,
        client_request_id: &str,
    ) -> Next {
        let policy = &self.inner.retry;
        let path = item_path(version, item);
        let Some(answer) = answer else {
            let mut error = GraphError::refused(
                item.method.as_str(),
                &path,
                "the batch answer has no response for this item",
            );
            error.client_request_id = Some(client_request_id.to_string());
            error.attempts = state.attempts;
            return unknown_outcome(item, state, error, policy);
        };
        let status = answer.status;
        if (200..300).contains(&status) {
            if item.cost().is_write() {
                self.count_write();
            }
            return Next::Done(Ok(BatchResponse {
                status,
                body: answer.body,
            }));
        }
        if status == 404 && state.maybe_applied && item.method == Method::DELETE {
            self.count_write();
            return Next::Done(Ok(BatchResponse {
                status: 204,
                body: None,
            }));
        }
        let header = |name: &str| -> Option<String> {
            answer
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        };
        let retry_after = header("retry-after")
            .and_then(|v| parse_retry_after(&v, Utc::now()))
            .map(|d| d.min(policy.max_retry_after));
        let body = answer
            .body
            .as_ref()
            .and_then(|b| serde_json::to_vec(b).ok())
            .unwrap_or_default();
        let mut error = GraphError::from_response(
            item.method.as_str(),
            &path,
            status,
            &body,
            header("request-id"),
            retry_after,
            item.access,
        );
        error.client_request_id = Some(client_request_id.to_string());
        error.attempts = state.attempts;
        tracing::warn!(
            method = %item.method, path = %path, status, attempt = state.attempts,
            code = error.code().unwrap_or(""),
            retry_after_ms = retry_after.map(|d| d.as_millis() as u64),
            client_request_id = %client_request_id,
            "batch item failed"
        );
        match status {
            429 => {
                let scope = ThrottleScope::from_headers(
                    header("x-ms-throttle-information").as_deref(),
                    header("x-ms-throttle-scope").as_deref(),
                );
                self.throttled(scope, retry_after, state, policy, error)
            }
            503 if retry_after.is_some() => self.unavailable(retry_after, state, policy, error),
            // A dependency failed (this client sends no `dependsOn`, so it is transient).
            424 => {
                state.transient += 1;
                if state.transient < policy.max_attempts {
                    Next::Retry(Some(policy.backoff(state.transient)))
                } else {
                    Next::Done(Err(error))
                }
            }
            408 | 500 | 502 | 503 | 504 | 509 => unknown_outcome(item, state, error, policy),
            _ => Next::Done(Err(error)),
        }
    }

    /// A 429 (the whole batch or one item): pause the limiter (every throttled item
    /// does; the longest Retry-After wins) and send again, up to the policy's limit.
    fn throttled(
        &self,
        scope: ThrottleScope,
        retry_after: Option<Duration>,
        state: &mut ItemState,
        policy: &super::retry::RetryPolicy,
        error: GraphError,
    ) -> Next {
        state.throttled += 1;
        self.count_throttled(1);
        let wait = retry_after.unwrap_or_else(|| policy.backoff(state.throttled.max(2)));
        self.inner.limiter.on_throttled(scope, wait);
        if state.throttled < policy.max_throttled_attempts {
            Next::Retry(None)
        } else {
            Next::Done(Err(error))
        }
    }

    /// A 503 with Retry-After: the service asked for a pause, not a backoff.
    fn unavailable(
        &self,
        retry_after: Option<Duration>,
        state: &mut ItemState,
        policy: &super::retry::RetryPolicy,
        error: GraphError,
    ) -> Next {
        state.transient += 1;
        if let Some(wait) = retry_after {
            self.inner.limiter.pause(wait);
        }
        if state.transient < policy.max_attempts {
            Next::Retry(None)
        } else {
            Next::Done(Err(error))
        }
    }
}

/// An item that may have run: retry if idempotent, else report the unknown outcome.
fn unknown_outcome(
    item: &BatchItem,
    state: &mut ItemState,
    mut error: GraphError,
    policy: &super::retry::RetryPolicy,
) -> Next {
    if !item.idempotent {
        error.outcome_unknown = true;
        return Next::Done(Err(error));
    }
    state.transient += 1;
    state.maybe_applied = true;
    if state.transient < policy.max_attempts {
        Next::Retry(Some(policy.backoff(state.transient)))
    } else {
        Next::Done(Err(error))
    }
}

fn item_path(version: ApiVersion, item: &BatchItem) -> String {
    format!("/{}{}", version.segment(), item.url)
}

fn with_item(e: &GraphError, version: ApiVersion, item: &BatchItem) -> GraphError {
    let mut e = e.clone();
    e.method = item.method.as_str().to_string();
    e.path = item_path(version, item);
    e
}

/// The envelope: ids are the items' positions, unique across the whole call.
fn build_envelope<'a>(items: &'a [BatchItem], chunk: &[usize]) -> BatchEnvelope<'a> {
    BatchEnvelope {
        requests: chunk
            .iter()
            .map(|&i| {
                let item = &items[i];
                let mut headers = BTreeMap::new();
                if item.body.is_some() {
                    headers.insert("Content-Type", "application/json");
                }
                if item.advanced_query {
                    headers.insert("ConsistencyLevel", "eventual");
                }
                if item.prefer_unknown_enums {
                    headers.insert("Prefer", "include-unknown-enum-members");
                }
                BatchRequestWire {
                    id: i.to_string(),
                    method: item.method.as_str(),
                    url: &item.url,
                    headers,
                    body: item.body.as_ref(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_ids_headers_and_relative_urls() {
        let items = vec![
            BatchItem::get("/users/a/authentication/methods"),
            BatchItem::post(
                "/users/a/authentication/phoneMethods",
                serde_json::json!({"phoneNumber": "+1 5555551234", "phoneType": "mobile"}),
            ),
            BatchItem::get("/users?$filter=onPremisesSamAccountName%20eq%20'ann'&$count=true")
                .advanced(),
        ];
        let env = build_envelope(&items, &[0, 1, 2]);
        let json = serde_json::to_value(&env).unwrap();
        let reqs = json["requests"].as_array().unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0]["id"], "0");
        assert!(reqs[0].get("headers").is_none());
        assert!(reqs[0].get("body").is_none());
        assert_eq!(reqs[1]["headers"]["Content-Type"], "application/json");
        assert_eq!(reqs[1]["method"], "POST");
        assert_eq!(reqs[2]["headers"]["ConsistencyLevel"], "eventual");
        assert!(reqs[2]["url"].as_str().unwrap().starts_with("/users?"));
        assert!(!items[1].idempotent && items[0].idempotent);
        assert_eq!(
            items[1].cost(),
            Cost {
                resource_units: 1,
                writes: 1
            }
        );
    }

    #[test]
    fn responses_parse_in_any_order() {
        let answer: BatchAnswer = serde_json::from_str(
            r#"{"responses":[
                {"id":"2","status":429,"headers":{"Retry-After":"3"},"body":{"error":{"code":"TooManyRequests"}}},
                {"id":"0","status":200,"headers":{"Content-Type":"application/json"},"body":{"value":[]}},
                {"id":"1","status":204,"body":null}]}"#,
        )
        .unwrap();
        let ids: Vec<&str> = answer.responses.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["2", "0", "1"]);
        assert_eq!(answer.responses[0].status, 429);
        let ok = BatchResponse {
            status: 200,
            body: Some(serde_json::json!({"id":"x","userPrincipalName":"a@b"})),
        };
        let user: super::super::model::User = ok.json().unwrap();
        assert_eq!(user.id, "x");
    }
}
