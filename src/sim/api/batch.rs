//! JSON batching (graph-api.md §8): at most 20 requests, ids unique regardless of case,
//! relative urls, `headers` required with a `body`, `dependsOn` with 424 for dependents of
//! a failure. Each item is throttled on its own (a 429 item carries its own
//! `Retry-After`), and the answers come back in an order of their own.

use std::collections::HashMap;

use axum::http::Method;
use rand::seq::SliceRandom;
use serde_json::{Map, Value, json};

use super::super::error::ApiError;
use super::super::server::State;
use super::super::token::Caller;
use super::{Headers, Incoming, Reply, Version, serve};

const MAX_REQUESTS: usize = 20;

struct Item {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<usize>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "BadRequest", message)
}

fn parse(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("Invalid batch payload: not JSON ({e}).")))?;
    let requests = v
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("Invalid batch payload: a 'requests' array is required."))?;
    if requests.is_empty() {
        return Err(bad("Invalid batch payload: 'requests' is empty."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(bad(format!(
            "The batch holds {} requests; the maximum is {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut items = Vec::with_capacity(requests.len());
    let mut deps_text = Vec::with_capacity(requests.len());
    for (n, r) in requests.iter().enumerate() {
        let Value::Object(m) = r else {
            return Err(bad(format!("Batch request {n} is not an object.")));
        };
        let text = |k: &str| -> Result<String, ApiError> {
            match m.get(k) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(bad(format!(
                    "Batch request {n} needs '{k}' as a non-empty string."
                ))),
            }
        };
        let id = text("id")?;
        if items.iter().any(|i: &Item| i.id.eq_ignore_ascii_case(&id)) {
            return Err(bad(format!(
                "Batch request id '{id}' is used more than once (ids are compared regardless of case)."
            )));
        }
        let headers = match m.get("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(h)) => h
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect(),
            Some(_) => {
                return Err(bad(format!(
                    "Batch request '{id}': 'headers' must be an object."
                )));
            }
        };
        let deps: Vec<String> = match m.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|d| {
                    d.as_str().map(str::to_string).ok_or_else(|| {
                        bad(format!("Batch request '{id}': 'dependsOn' must list ids."))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(bad(format!(
                    "Batch request '{id}': 'dependsOn' must be an array."
                )));
            }
        };
        deps_text.push(deps);
        items.push(Item {
            id,
            method: text("method")?,
            url: text("url")?,
            headers,
            body: m.get("body").cloned().filter(|b| !b.is_null()),
            depends_on: Vec::new(),
        });
    }
    for (n, deps) in deps_text.into_iter().enumerate() {
        for d in deps {
            let target = items
                .iter()
                .position(|i| i.id.eq_ignore_ascii_case(&d))
                .ok_or_else(|| {
                    bad(format!(
                        "Batch request '{}' depends on an unknown id '{d}'.",
                        items[n].id
                    ))
                })?;
            if target == n {
                return Err(bad(format!("Batch request '{d}' depends on itself.")));
            }
            items[n].depends_on.push(target);
        }
    }
    Ok(items)
}

/// The order to run the items in (dependencies first), or a cycle.
fn order(items: &[Item]) -> Result<Vec<usize>, ApiError> {
    let mut done = vec![false; items.len()];
    let mut out = Vec::with_capacity(items.len());
    while out.len() < items.len() {
        let next = (0..items.len())
            .find(|&i| !done[i] && items[i].depends_on.iter().all(|&d| done[d]))
            .ok_or_else(|| bad("The batch's dependsOn references form a cycle."))?;
        done[next] = true;
        out.push(next);
    }
    Ok(out)
}

/// Run a `$batch` envelope.
pub(crate) fn run(
    state: &State,
    caller: &Caller,
    version: Version,
    outer: &Headers,
    body: &[u8],
) -> Reply {
    let client_id = outer.client_request_id.as_deref();
    let items = match parse(body).and_then(|items| order(&items).map(|o| (items, o))) {
        Ok(x) => x,
        Err(e) => return Reply::error(&e, client_id),
    };
    let (items, run_order) = items;
    state.stats.batch_items(items.len() as u64);
    let mut statuses: HashMap<usize, u16> = HashMap::new();
    let mut answers: Vec<Value> = Vec::with_capacity(items.len());
    for i in run_order {
        let item = &items[i];
        let reply = if item
            .depends_on
            .iter()
            .any(|d| statuses.get(d).is_none_or(|s| *s >= 400))
        {
            Reply::error(
                &ApiError::new(
                    424,
                    "FailedDependency",
                    "A request this one depends on failed.",
                ),
                None,
            )
        } else {
            run_item(state, caller, version, item)
        };
        statuses.insert(i, reply.status);
        answers.push(answer(&item.id, reply));
    }
    answers.shuffle(&mut rand::rng());
    Reply::ok(json!({ "responses": answers }))
}

fn run_item(state: &State, caller: &Caller, version: Version, item: &Item) -> Reply {
    let headers = Headers::from_pairs(item.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let client_id = headers.client_request_id.clone();
    let fail = |m: &str| Reply::error(&bad(m.to_string()), client_id.as_deref());
    if item.url.contains("://") {
        return fail("Batch request urls must be relative to the version root, e.g. /users/{id}.");
    }
    let method = match Method::from_bytes(item.method.to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return fail(&format!("'{}' is not an HTTP method.", item.method)),
    };
    let body_bytes = match &item.body {
        None => Vec::new(),
        Some(b) => {
            if headers.content_type.is_none() {
                return fail("A batch request with a body needs 'headers' with a Content-Type.");
            }
            b.to_string().into_bytes()
        }
    };
    let url = if item.url.starts_with('/') {
        item.url.clone()
    } else {
        format!("/{}", item.url)
    };
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url.as_str(), None),
    };
    if path.eq_ignore_ascii_case("/$batch") {
        return fail("A $batch request cannot contain another $batch request.");
    }
    serve(
        state,
        caller,
        &Incoming {
            version,
            method,
            path,
            query,
            headers,
            body: &body_bytes,
            in_batch: true,
        },
    )
}

fn answer(id: &str, reply: Reply) -> Value {
    let mut headers = Map::new();
    if reply.body.is_some() {
        headers.insert("Content-Type".into(), json!("application/json"));
    }
    for (k, v) in reply.headers {
        headers.insert(k.to_string(), json!(v));
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("status".into(), json!(reply.status));
    m.insert("headers".into(), Value::Object(headers));
    if let Some(b) = reply.body {
        m.insert("body".into(), b);
    }
    Value::Object(m)
}
