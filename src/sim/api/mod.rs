//! Graph's REST surface over the simulated tenant: routing of `/v1.0` and `/beta` paths,
//! permission checks, throttling per request, and Graph's JSON — collections with
//! `@odata.context` and `@odata.nextLink`, entities, and the error body of §10. Each
//! request is handled synchronously under the tenant's lock; `$batch` runs its items
//! through the same [`serve`].

mod batch;
mod directory;
mod domains;
mod hardware;
mod methods;
mod policies;

use std::borrow::Cow;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult};
use super::odata::Query;
use super::server::State;
use super::tenant::view::WriteOp;
use super::tenant::{Tenant, WriteContext};
use super::throttle::{self, Verdict};
use super::token::{Caller, TokenKind};

pub(crate) use batch::run as run_batch;

/// The API version a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    Beta,
}

impl Version {
    pub fn prefix(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }

    /// `/v1.0/…` or `/beta/…` (case-insensitive): the version and the rest of the path.
    pub fn split(path: &str) -> Option<(Version, &str)> {
        let rest = path.strip_prefix('/')?;
        let (first, tail) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let v = if first.eq_ignore_ascii_case("v1.0") {
            Version::V1
        } else if first.eq_ignore_ascii_case("beta") {
            Version::Beta
        } else {
            return None;
        };
        Some((v, tail))
    }
}

/// The headers a Graph handler looks at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Headers {
    /// `ConsistencyLevel: eventual`.
    pub eventual: bool,
    /// `Prefer: include-unknown-enum-members`.
    pub include_unknown_enums: bool,
    pub content_type: Option<String>,
    pub client_request_id: Option<String>,
}

impl Headers {
    pub fn from_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Headers {
        let mut h = Headers::default();
        for (k, v) in pairs {
            if k.eq_ignore_ascii_case("consistencylevel") {
                h.eventual = v.trim().eq_ignore_ascii_case("eventual");
            } else if k.eq_ignore_ascii_case("prefer") {
                h.include_unknown_enums |= v.split(',').any(|p| {
                    p.trim()
                        .eq_ignore_ascii_case("include-unknown-enum-members")
                });
            } else if k.eq_ignore_ascii_case("content-type") {
                h.content_type = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("client-request-id") {
                h.client_request_id = Some(v.to_string());
            }
        }
        h
    }
}

/// One Graph request, from the wire or from a `$batch` item.
#[derive(Debug, Clone)]
pub(crate) struct Incoming<'a> {
    pub version: Version,
    pub method: Method,
    /// The path after the version, as sent (percent-encoded), without the query.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: Headers,
    pub body: &'a [u8],
    pub in_batch: bool,
}

/// A Graph answer before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// Whether the tenant was changed.
    pub wrote: bool,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Some(body),
            wrote: false,
        }
    }

    pub fn created(body: Value) -> Reply {
        Reply {
            status: 201,
            ..Reply::ok(body)
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: None,
            wrote: false,
        }
    }

    pub fn wrote(mut self) -> Reply {
        self.wrote = true;
        self
    }

    pub fn header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// Graph's error body (§10), with the ids a support case would quote.
    pub fn error(e: &ApiError, client_request_id: Option<&str>) -> Reply {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut inner = json!({
            "date": now_text(),
            "request-id": request_id,
        });
        if let (Some(c), Value::Object(m)) = (client_request_id, &mut inner) {
            m.insert("client-request-id".into(), json!(c));
        }
        Reply {
            status: e.status,
            headers: vec![("request-id", request_id)],
            body: Some(json!({
                "error": { "code": e.code, "message": e.message, "innerError": inner }
            })),
            wrote: false,
        }
    }
}

pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a handler has at hand.
pub(crate) struct Ctx<'a> {
    pub state: &'a State,
    pub caller: &'a Caller,
    pub version: Version,
    pub method: Method,
    /// The path after the version, as sent.
    pub raw_path: &'a str,
    pub query: Query,
    pub headers: &'a Headers,
    pub body: &'a [u8],
    pub in_batch: bool,
}

impl Ctx<'_> {
    pub fn beta(&self) -> bool {
        self.version == Version::Beta
    }

    /// Refuse unless the token holds one of `perms` (scopes or app roles).
    pub fn require(&self, perms: &[&str]) -> ApiResult<()> {
        if self.caller.has_any(perms) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Insufficient privileges to complete the operation: the token needs one of {}.",
                perms.join(", ")
            )))
        }
    }

    /// Staged Rollout accepts delegated tokens only (§5).
    pub fn require_delegated(&self) -> ApiResult<()> {
        if self.caller.kind == TokenKind::App {
            return Err(ApiError::forbidden(
                "Feature rollout policies accept delegated (signed-in user) tokens only; application tokens are not supported.",
            ));
        }
        Ok(())
    }

    /// The body as a JSON object.
    pub fn json_body(&self) -> ApiResult<Map<String, Value>> {
        if let Some(ct) = &self.headers.content_type
            && !ct.to_ascii_lowercase().contains("json")
        {
            return Err(ApiError::new(
                415,
                "Request_BadRequest",
                format!("Content-Type '{ct}' is not supported: send application/json."),
            ));
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "The request body is empty: a JSON object is expected.",
            ));
        }
        match serde_json::from_slice::<Value>(self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(ApiError::bad_request(format!(
                "The request body is not valid JSON: {e}."
            ))),
        }
    }

    /// `{base}/{version}/$metadata#{fragment}`.
    pub fn context(&self, fragment: &str) -> String {
        format!(
            "{}/{}/$metadata#{fragment}",
            self.state.url,
            self.version.prefix()
        )
    }

    /// An absolute nextLink to the same request at `pos`.
    pub fn next_link(&self, pos: u64) -> String {
        let carried = self.query.carried();
        let token = self.state.pages.token(self.raw_path, &carried, pos);
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &carried {
            ser.append_pair(k, v);
        }
        ser.append_pair("$skiptoken", &token);
        format!(
            "{}/{}{}?{}",
            self.state.url,
            self.version.prefix(),
            self.raw_path,
            ser.finish()
        )
    }

    /// The position a `$skiptoken` points at (0 without one).
    pub fn page_position(&self) -> ApiResult<u64> {
        match &self.query.skiptoken {
            None => Ok(0),
            Some(t) => self
                .state
                .pages
                .position(t, self.raw_path, &self.query.carried()),
        }
    }

    /// A collection answer.
    pub fn collection(
        &self,
        context: &str,
        items: Vec<Value>,
        next: Option<u64>,
        count: Option<usize>,
    ) -> Reply {
        let mut m = Map::new();
        m.insert("@odata.context".into(), json!(self.context(context)));
        if let Some(c) = count {
            m.insert("@odata.count".into(), json!(c));
        }
        if let Some(pos) = next {
            m.insert("@odata.nextLink".into(), json!(self.next_link(pos)));
        }
        m.insert("value".into(), Value::Array(items));
        Reply::ok(Value::Object(m))
    }

    /// An entity answer with its `@odata.context`.
    pub fn entity(&self, context: &str, body: Value) -> Value {
        with_context(self.context(context), body)
    }

    /// Advanced query: `ConsistencyLevel: eventual` and `$count=true` (§3.2).
    pub fn advanced(&self) -> bool {
        self.headers.eventual && self.query.count
    }

    /// `$count=true` needs `ConsistencyLevel: eventual` on directory objects.
    pub fn check_count(&self) -> ApiResult<()> {
        if self.query.count && !self.headers.eventual {
            return Err(ApiError::bad_request("$count is not currently supported."));
        }
        Ok(())
    }

    pub fn write_context(&self) -> WriteContext<'_> {
        WriteContext {
            method: self.method.as_str(),
            path: self.raw_path,
            in_batch: self.in_batch,
        }
    }

    /// Log a successful write.
    pub fn record(&self, t: &mut Tenant, user: Option<u32>, op: WriteOp) {
        let path = format!("/{}{}", self.version.prefix(), self.raw_path);
        let ctx = WriteContext {
            path: &path,
            ..self.write_context()
        };
        t.record(&ctx, user, op);
    }
}

pub(crate) fn with_context(context: String, body: Value) -> Value {
    match body {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len() + 1);
            out.insert("@odata.context".into(), json!(context));
            out.extend(m);
            Value::Object(out)
        }
        other => other,
    }
}

/// Keep only the `$select`ed properties (case-insensitive; `@odata.type` stays).
pub(crate) fn select(body: Value, sel: Option<&[String]>) -> Value {
    let (Some(sel), Value::Object(m)) = (sel, &body) else {
        return body;
    };
    let mut out = Map::new();
    for (k, v) in m {
        if k.starts_with("@odata") || sel.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Path keywords, so `/Users/…` and `/users/…` route alike.
const KEYWORDS: [&str; 34] = [
    "users",
    "groups",
    "authentication",
    "phoneMethods",
    "methods",
    "softwareOathMethods",
    "microsoftAuthenticatorMethods",
    "hardwareOathMethods",
    "signInPreferences",
    "requirements",
    "directory",
    "authenticationMethodDevices",
    "hardwareOathDevices",
    "policies",
    "authenticationMethodsPolicy",
    "authenticationMethodConfigurations",
    "featureRolloutPolicies",
    "appliesTo",
    "$ref",
    "domains",
    "federationConfiguration",
    "transitiveMembers",
    "members",
    "microsoft.graph.user",
    "microsoft.graph.group",
    "activate",
    "deactivate",
    "assignAndActivate",
    "assignAndActivateBySerialNumber",
    "$batch",
    "me",
    "$count",
    "directoryObjects",
    "passwordMethods",
];

/// Percent-decode each segment, expand `users('key')`, and spell keywords one way.
pub(crate) fn segments(path: &str) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let seg: Cow<str> = percent_decode(raw)?;
        // OData key syntax: users('a@b.com') or users(id='…')
        if let Some(open) = seg.find('(')
            && seg.ends_with(')')
        {
            let (name, key) = (&seg[..open], &seg[open + 1..seg.len() - 1]);
            let key = key.split_once('=').map(|(_, v)| v).unwrap_or(key);
            let key = key
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .unwrap_or(key)
                .replace("''", "'");
            out.push(canonical(name));
            out.push(key);
            continue;
        }
        out.push(canonical(&seg));
    }
    Ok(out)
}

fn canonical(seg: &str) -> String {
    KEYWORDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(seg))
        .map(|k| k.to_string())
        .unwrap_or_else(|| seg.to_string())
}

fn percent_decode(s: &str) -> ApiResult<Cow<'_, str>> {
    if !s.contains('%') {
        return Ok(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ApiError::bad_request(format!("Bad percent-encoding in '{s}'.")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| ApiError::bad_request(format!("'{s}' is not UTF-8 once decoded.")))
}

/// Throttle, route and answer one request (a top-level request or a `$batch` item).
pub(crate) fn serve(state: &State, caller: &Caller, req: &Incoming<'_>) -> Reply {
    let client_id = req.headers.client_request_id.as_deref();
    let segs = match segments(req.path) {
        Ok(s) => s,
        Err(e) => return Reply::error(&e, client_id),
    };
    let query = match Query::parse(req.query) {
        Ok(q) => q,
        Err(e) => return Reply::error(&e, client_id),
    };
    let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let cost = throttle::cost(&req.method, &seg_refs, &query.pairs);
    let ru = match state.throttle.check(cost) {
        Verdict::Throttled {
            retry_after,
            information,
            kind,
        } => {
            state.stats.throttled();
            return throttled(state, caller, retry_after, information, kind, client_id);
        }
        Verdict::Pass {
            resource_units,
            limit_percentage,
        } => (resource_units, limit_percentage),
    };
    let ctx = Ctx {
        state,
        caller,
        version: req.version,
        method: req.method.clone(),
        raw_path: req.path,
        query,
        headers: &req.headers,
        body: req.body,
        in_batch: req.in_batch,
    };
    let mut reply = match route(&ctx, &seg_refs) {
        Ok(r) => r,
        Err(e) => Reply::error(&e, client_id),
    };
    if reply.wrote {
        state.stats.wrote();
    }
    reply.headers.push(("x-ms-resource-unit", ru.0.to_string()));
    if let Some(p) = ru.1 {
        reply
            .headers
            .push(("x-ms-throttle-limit-percentage", format!("{p:.1}")));
    }
    reply
}

fn throttled(
    state: &State,
    caller: &Caller,
    retry_after: std::time::Duration,
    information: &'static str,
    kind: &'static str,
    client_id: Option<&str>,
) -> Reply {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut inner = json!({
        "code": "429",
        "date": now_text(),
        "message": "Please retry after",
        "request-id": request_id,
        "status": "429",
    });
    if let (Some(c), Value::Object(m)) = (client_id, &mut inner) {
        m.insert("client-request-id".into(), json!(c));
    }
    Reply {
        status: 429,
        headers: vec![
            ("Retry-After", Verdict::retry_after_header(retry_after)),
            (
                "x-ms-throttle-scope",
                format!(
                    "Tenant_Application/{kind}/{}/{}",
                    caller.app_id, state.tenant_id
                ),
            ),
            ("x-ms-throttle-information", information.to_string()),
            ("request-id", request_id),
        ],
        body: Some(json!({
            "error": {
                "code": "TooManyRequests",
                "message": "Please retry again later.",
                "innerError": inner,
            }
        })),
        wrote: false,
    }
}

fn route(ctx: &Ctx<'_>, segs: &[&str]) -> ApiResult<Reply> {
    match segs {
        [] => Err(ApiError::bad_request("Invalid request: no resource named.")),
        ["users", ..] => directory::users(ctx, &segs[1..]),
        ["groups", ..] => directory::groups(ctx, &segs[1..]),
        [
            "directory",
            "authenticationMethodDevices",
            "hardwareOathDevices",
            rest @ ..,
        ] => {
            if !ctx.beta() {
                return Err(ApiError::no_segment("authenticationMethodDevices"));
            }
            hardware::devices(ctx, rest)
        }
        ["directory", next, ..] => Err(ApiError::no_segment(next)),
        ["policies", "authenticationMethodsPolicy", rest @ ..] => {
            policies::methods_policy(ctx, rest)
        }
        ["policies", "featureRolloutPolicies", rest @ ..] => policies::rollout(ctx, rest),
        ["policies", next, ..] => Err(ApiError::no_segment(next)),
        ["domains", rest @ ..] => domains::route(ctx, rest),
        ["me", ..] => Err(ApiError::not_found(
            "The simulated tenant has no '/me': its admin is not a directory user. Use /users/{id | userPrincipalName}.",
        )),
        ["$batch"] => Err(ApiError::bad_request(
            "A $batch request cannot contain another $batch request.",
        )),
        [first, ..] => Err(ApiError::no_segment(first)),
    }
}

/// Values of a JSON body field, with Graph's complaints.
pub(crate) mod body {
    use serde_json::{Map, Value};

    use super::super::error::{ApiError, ApiResult};

    pub fn string<'a>(m: &'a Map<String, Value>, key: &str) -> ApiResult<Option<&'a str>> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(format!(
                "Property '{key}' must be a string."
            ))),
        }
    }

    pub fn required_string<'a>(m: &'a Map<String, Value>, key: &str) -> ApiResult<&'a str> {
        match string(m, key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ApiError::bad_request(format!(
                "Property '{key}' is required and must be a non-empty string."
            ))),
        }
    }

    pub fn boolean(m: &Map<String, Value>, key: &str) -> ApiResult<Option<bool>> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::bad_request(format!(
                "Property '{key}' must be true or false."
            ))),
        }
    }

    /// Refuse properties other than `allowed` (`@odata.type` is always allowed).
    pub fn only(m: &Map<String, Value>, allowed: &[&str], type_name: &str) -> ApiResult<()> {
        for k in m.keys() {
            if k == "@odata.type" || allowed.contains(&k.as_str()) {
                continue;
            }
            return Err(ApiError::bad_request(format!(
                "Property '{k}' does not exist on type 'microsoft.graph.{type_name}' or cannot be set here."
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_split_decoded_and_canonical() {
        assert_eq!(
            segments("/Users/ann%40contoso.com/Authentication/phoneMethods").unwrap(),
            vec!["users", "ann@contoso.com", "authentication", "phoneMethods"]
        );
        assert_eq!(
            segments("/users('$ann@contoso.com')/authentication/methods").unwrap(),
            vec!["users", "$ann@contoso.com", "authentication", "methods"]
        );
        assert_eq!(
            segments("/users('o''neil%40contoso.com')").unwrap(),
            vec!["users", "o'neil@contoso.com"]
        );
        assert_eq!(
            segments("/users/guest_x.com%23EXT%23@contoso.onmicrosoft.com").unwrap(),
            vec!["users", "guest_x.com#EXT#@contoso.onmicrosoft.com"]
        );
        assert!(segments("/users/%zz").is_err());
        assert_eq!(
            Version::split("/beta/users"),
            Some((Version::Beta, "/users"))
        );
        assert_eq!(Version::split("/V1.0"), Some((Version::V1, "")));
        assert_eq!(Version::split("/v2.0/users"), None);
    }
}
