//! Tenant policies: the authentication methods policy (graph-api.md §4.10) and Staged
//! Rollout's `featureRolloutPolicies` (§5) — delegated tokens only, the evolvable
//! `feature` enum, and the group rules enforced when `appliesTo` grows.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::odata::{Filterable, PropVal};
use super::super::tenant::view::WriteOp;
use super::super::tenant::{
    Feature, MethodConfig, MethodConfigId, RolloutPolicy, Target, Tenant, fmt_oid,
};
use super::super::variants::SimCloud;
use super::directory::group_json;
use super::{Ctx, Reply, body, select};

const POLICY_READ: [&str; 3] = [
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
];
const POLICY_WRITE: [&str; 1] = ["Policy.ReadWrite.AuthenticationMethod"];

const ROLLOUT_READ: [&str; 4] = [
    "Policy.Read.HybridAuthentication",
    "Policy.ReadWrite.HybridAuthentication",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ROLLOUT_WRITE: [&str; 2] = [
    "Policy.ReadWrite.HybridAuthentication",
    "Directory.ReadWrite.All",
];

fn target_json(t: &Tenant, id: MethodConfigId, target: Target) -> Value {
    let mut m = Map::new();
    m.insert("targetType".into(), json!("group"));
    m.insert(
        "id".into(),
        json!(match target {
            Target::AllUsers => "all_users".to_string(),
            Target::Group(g) => t
                .groups
                .get(g as usize)
                .map(|g| fmt_oid(g.id))
                .unwrap_or_default(),
        }),
    );
    m.insert("isRegistrationRequired".into(), json!(false));
    match id {
        MethodConfigId::MicrosoftAuthenticator => {
            m.insert("authenticationMode".into(), json!("any"));
        }
        MethodConfigId::Sms => {
            m.insert("isUsableForSignIn".into(), json!(false));
        }
        _ => {}
    }
    Value::Object(m)
}

fn config_json(t: &Tenant, c: &MethodConfig, office_phone_allowed: bool) -> Value {
    let mut m = Map::new();
    m.insert("@odata.type".into(), json!(c.id.odata_type()));
    m.insert("id".into(), json!(c.id.graph_id()));
    m.insert(
        "state".into(),
        json!(if c.enabled { "enabled" } else { "disabled" }),
    );
    m.insert(
        "excludeTargets".into(),
        Value::Array(c.exclude.iter().map(|&x| target_json(t, c.id, x)).collect()),
    );
    m.insert(
        "includeTargets".into(),
        Value::Array(c.include.iter().map(|&x| target_json(t, c.id, x)).collect()),
    );
    match c.id {
        MethodConfigId::Voice => {
            m.insert("isOfficePhoneAllowed".into(), json!(office_phone_allowed));
        }
        MethodConfigId::MicrosoftAuthenticator => {
            m.insert("isSoftwareOathEnabled".into(), json!(false));
        }
        _ => {}
    }
    Value::Object(m)
}

fn configs(ctx: &Ctx<'_>, t: &Tenant) -> Vec<Value> {
    t.policy
        .iter()
        .filter(|c| ctx.beta() || !c.id.beta_only())
        .map(|c| config_json(t, c, ctx.state.variants().office_phone_allowed))
        .collect()
}

/// `/policies/authenticationMethodsPolicy…`
pub(super) fn methods_policy(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    match rest {
        [] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&POLICY_READ)?;
            let t = ctx.state.read_tenant();
            let body = json!({
                "id": "authenticationMethodsPolicy",
                "displayName": "Authentication Methods Policy",
                "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
                "lastModifiedDateTime": "2024-03-01T09:00:00Z",
                "policyVersion": "1.5",
                "policyMigrationState": ctx.state.variants().policy_migration_state.graph_name(),
                "authenticationMethodConfigurations@odata.context":
                    ctx.context("policies/authenticationMethodsPolicy/authenticationMethodConfigurations"),
                "authenticationMethodConfigurations": configs(ctx, &t),
            });
            Ok(Reply::ok(ctx.entity(
                "policies/authenticationMethodsPolicy/$entity",
                body,
            )))
        }
        ["authenticationMethodConfigurations"] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&POLICY_READ)?;
            let t = ctx.state.read_tenant();
            Ok(ctx.collection(
                "policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
                configs(ctx, &t),
                None,
                None,
            ))
        }
        ["authenticationMethodConfigurations", id] => {
            let cid = MethodConfigId::from_graph(id)
                .filter(|c| ctx.beta() || !c.beta_only())
                .ok_or_else(|| ApiError::no_object(id))?;
            match ctx.method {
                Method::GET => {
                    ctx.require(&POLICY_READ)?;
                    let t = ctx.state.read_tenant();
                    let c = t
                        .method_config(cid)
                        .ok_or_else(|| ApiError::no_object(id))?;
                    Ok(Reply::ok(ctx.entity(
                        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
                        config_json(&t, c, ctx.state.variants().office_phone_allowed),
                    )))
                }
                Method::PATCH => {
                    ctx.require(&POLICY_WRITE)?;
                    patch_config(ctx, cid)
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [next, ..] => Err(ApiError::no_segment(next)),
    }
}

fn parse_targets(t: &Tenant, v: &Value, key: &str) -> ApiResult<Vec<Target>> {
    let Value::Array(items) = v else {
        return Err(ApiError::bad_request(format!("'{key}' must be an array.")));
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(m) = item else {
                return Err(ApiError::bad_request(format!(
                    "Each of '{key}' must be an object with targetType and id."
                )));
            };
            if let Some(tt) = body::string(m, "targetType")?
                && !tt.eq_ignore_ascii_case("group")
            {
                return Err(ApiError::bad_request(format!(
                    "targetType '{tt}' is not supported: expected group."
                )));
            }
            let id = body::required_string(m, "id")?;
            if id.eq_ignore_ascii_case("all_users") {
                return Ok(Target::AllUsers);
            }
            t.find_group(id)
                .map(Target::Group)
                .ok_or_else(|| ApiError::no_object(id))
        })
        .collect()
}

fn patch_config(ctx: &Ctx<'_>, id: MethodConfigId) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    body::only(
        &b,
        &["state", "includeTargets", "excludeTargets"],
        "authenticationMethodConfiguration",
    )?;
    let state = match body::string(&b, "state")? {
        None => None,
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        Some(s) => {
            return Err(ApiError::bad_request(format!(
                "'{s}' is not a state: expected enabled or disabled."
            )));
        }
    };
    let mut t = ctx.state.write_tenant();
    let include = b
        .get("includeTargets")
        .map(|v| parse_targets(&t, v, "includeTargets"))
        .transpose()?;
    let exclude = b
        .get("excludeTargets")
        .map(|v| parse_targets(&t, v, "excludeTargets"))
        .transpose()?;
    let c = t
        .method_config_mut(id)
        .ok_or_else(|| ApiError::no_object(id.graph_id()))?;
    if let Some(s) = state {
        c.enabled = s;
    }
    if let Some(i) = include {
        c.include = i;
    }
    if let Some(e) = exclude {
        c.exclude = e;
    }
    ctx.record(
        &mut t,
        None,
        WriteOp::UpdateMethodConfiguration {
            id: id.graph_id().to_string(),
        },
    );
    Ok(Reply::no_content().wrote())
}

// -------------------------------------------------------------------------------------
// Staged Rollout
// -------------------------------------------------------------------------------------

const ROLLOUT_PROPS: [&str; 7] = [
    "id",
    "displayName",
    "description",
    "feature",
    "isEnabled",
    "isAppliedToOrganization",
    "appliesTo",
];

/// The feature as the caller may see it: members after `unknownFutureValue` need
/// `Prefer: include-unknown-enum-members`.
fn feature_text(ctx: &Ctx<'_>, f: Feature) -> &'static str {
    if f.evolvable() && !ctx.headers.include_unknown_enums {
        "unknownFutureValue"
    } else {
        f.graph_name()
    }
}

fn policy_json(ctx: &Ctx<'_>, t: &Tenant, p: &RolloutPolicy, expand: bool) -> Value {
    let mut v = json!({
        "id": fmt_oid(p.id),
        "displayName": p.display_name,
        "description": p.description,
        "feature": feature_text(ctx, p.feature),
        "isEnabled": p.is_enabled,
        "isAppliedToOrganization": p.applied_to_org,
    });
    if expand && let Value::Object(m) = &mut v {
        m.insert(
            "appliesTo".into(),
            Value::Array(
                p.applies_to
                    .iter()
                    .filter_map(|&g| t.groups.get(g as usize))
                    .map(|g| group_json(g, true))
                    .collect(),
            ),
        );
    }
    v
}

fn wants_expand(ctx: &Ctx<'_>) -> ApiResult<bool> {
    match &ctx.query.expand {
        None => Ok(false),
        Some(e) if e.len() == 1 && e[0].eq_ignore_ascii_case("appliesTo") => Ok(true),
        Some(e) => Err(ApiError::bad_request(format!(
            "Could not expand '{}': featureRolloutPolicy can expand appliesTo only.",
            e.join(",")
        ))),
    }
}

fn with_preference(ctx: &Ctx<'_>, r: Reply) -> Reply {
    if ctx.headers.include_unknown_enums {
        r.header(
            "Preference-Applied",
            "include-unknown-enum-members".to_string(),
        )
    } else {
        r
    }
}

fn parse_feature(s: &str) -> ApiResult<Feature> {
    Feature::from_graph(s).ok_or_else(|| {
        ApiError::bad_request(format!(
            "'{s}' is not a stagedFeatureName: expected passthroughAuthentication, seamlessSso, passwordHashSync, emailAsAlternateId, certificateBasedAuthentication or multiFactorAuthentication."
        ))
    })
}

/// `/policies/featureRolloutPolicies…`
pub(super) fn rollout(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    if ctx.state.variants().cloud == SimCloud::China {
        // Not available in the China cloud (featureRolloutPolicy pages: China ❌).
        return Err(ApiError::new(
            400,
            "BadRequest",
            "Resource not found for the segment 'featureRolloutPolicies': Staged Rollout is not available in this national cloud.",
        ));
    }
    ctx.require_delegated()?;
    let r = match rest {
        [] => match ctx.method {
            Method::GET => {
                ctx.require(&ROLLOUT_READ)?;
                list_policies(ctx)
            }
            Method::POST => {
                ctx.require(&ROLLOUT_WRITE)?;
                create_policy(ctx)
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        [id] => match ctx.method {
            Method::GET => {
                ctx.require(&ROLLOUT_READ)?;
                ctx.query.allow(&["$select", "$expand"])?;
                let expand = wants_expand(ctx)?;
                let sel = ctx
                    .query
                    .checked_select(&ROLLOUT_PROPS, "featureRolloutPolicy")?;
                let t = ctx.state.read_tenant();
                let p = &t.rollout[t.rollout_index(id)?];
                Ok(Reply::ok(ctx.entity(
                    "policies/featureRolloutPolicies/$entity",
                    select(policy_json(ctx, &t, p, expand), sel.as_deref()),
                )))
            }
            Method::PATCH => {
                ctx.require(&ROLLOUT_WRITE)?;
                update_policy(ctx, id)
            }
            Method::DELETE => {
                ctx.require(&ROLLOUT_WRITE)?;
                let mut t = ctx.state.write_tenant();
                let i = t.rollout_index(id)?;
                let p = t.rollout.remove(i);
                ctx.record(
                    &mut t,
                    None,
                    WriteOp::DeleteRolloutPolicy { id: fmt_oid(p.id) },
                );
                Ok(Reply::no_content().wrote())
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        [id, "appliesTo"] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&ROLLOUT_READ)?;
            let t = ctx.state.read_tenant();
            let p = &t.rollout[t.rollout_index(id)?];
            let items = p
                .applies_to
                .iter()
                .filter_map(|&g| t.groups.get(g as usize))
                .map(|g| group_json(g, true))
                .collect();
            Ok(ctx.collection("directoryObjects", items, None, None))
        }
        [id, "appliesTo", "$ref"] => {
            if ctx.method != Method::POST {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&ROLLOUT_WRITE)?;
            let b = ctx.json_body()?;
            let object = ref_target(&b)?;
            let mut t = ctx.state.write_tenant();
            let i = t.rollout_index(id)?;
            let g = t.add_rollout_group(i, &object)?;
            let op = WriteOp::AddRolloutGroup {
                policy: fmt_oid(t.rollout[i].id),
                group: fmt_oid(t.groups[g as usize].id),
            };
            ctx.record(&mut t, None, op);
            Ok(Reply {
                status: 201,
                headers: Vec::new(),
                body: None,
                wrote: true,
            })
        }
        [id, "appliesTo", object, "$ref"] => {
            if ctx.method != Method::DELETE {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&ROLLOUT_WRITE)?;
            let mut t = ctx.state.write_tenant();
            let i = t.rollout_index(id)?;
            let g = t.remove_rollout_group(i, object)?;
            let op = WriteOp::RemoveRolloutGroup {
                policy: fmt_oid(t.rollout[i].id),
                group: fmt_oid(t.groups[g as usize].id),
            };
            ctx.record(&mut t, None, op);
            Ok(Reply::no_content().wrote())
        }
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }?;
    Ok(with_preference(ctx, r))
}

/// The object a `$ref` body names: `{"@odata.id": "…/directoryObjects/{id}"}`, or the
/// docs example's `{"directoryObject": {"id": …}}` (graph-api.md §5 calls the body
/// unreliable, so both are taken).
fn ref_target(b: &Map<String, Value>) -> ApiResult<String> {
    if let Some(url) = body::string(b, "@odata.id")? {
        let last = url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        // `directoryObjects/{id}` or `directoryObjects('{id}')`
        let id = last
            .split_once('(')
            .map(|(_, k)| k.trim_end_matches(')').trim_matches('\''))
            .unwrap_or(last);
        return Ok(id.to_string());
    }
    if let Some(Value::Object(o)) = b.get("directoryObject") {
        return Ok(body::required_string(o, "id")?.to_string());
    }
    Err(ApiError::bad_request(
        "The body must reference the group: { \"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\" }.",
    ))
}

fn list_policies(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let q = &ctx.query;
    q.allow(&["$select", "$expand", "$filter", "$top", "$count"])?;
    let expand = wants_expand(ctx)?;
    let top = q.top(100, 999)?;
    let sel = q.checked_select(&ROLLOUT_PROPS, "featureRolloutPolicy")?;
    if let Some(f) = &q.filter {
        f.check("FeatureRolloutPolicy", &|p: &str| {
            matches!(p, "id" | "displayName" | "feature" | "isEnabled")
                .then_some(Filterable::Default)
        })?;
    }
    let t = ctx.state.read_tenant();
    let items: Vec<Value> = t
        .rollout
        .iter()
        .filter(|p| {
            q.filter.as_ref().is_none_or(|f| {
                let id = fmt_oid(p.id);
                f.eval(&|prop: &str| match prop {
                    "id" => PropVal::Str(id.as_str()),
                    "displayName" => PropVal::Str(&p.display_name),
                    "feature" => PropVal::Str(p.feature.graph_name()),
                    "isEnabled" => PropVal::Bool(p.is_enabled),
                    _ => PropVal::Null,
                })
            })
        })
        .take(top)
        .map(|p| select(policy_json(ctx, &t, p, expand), sel.as_deref()))
        .collect();
    let count = q.count.then_some(items.len());
    Ok(ctx.collection("policies/featureRolloutPolicies", items, None, count))
}

fn create_policy(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    body::only(
        &b,
        &[
            "displayName",
            "description",
            "feature",
            "isEnabled",
            "isAppliedToOrganization",
        ],
        "featureRolloutPolicy",
    )?;
    let display_name = body::required_string(&b, "displayName")?.to_string();
    let feature = parse_feature(body::required_string(&b, "feature")?)?;
    let is_enabled = body::boolean(&b, "isEnabled")?
        .ok_or_else(|| ApiError::bad_request("Property 'isEnabled' is required."))?;
    let description = body::string(&b, "description")?.map(str::to_string);
    let org = body::boolean(&b, "isAppliedToOrganization")?.unwrap_or(false);
    let mut t = ctx.state.write_tenant();
    let i = t.create_rollout(display_name, description, feature, is_enabled, org)?;
    let id = fmt_oid(t.rollout[i].id);
    ctx.record(
        &mut t,
        None,
        WriteOp::CreateRolloutPolicy { id: id.clone() },
    );
    let body = policy_json(ctx, &t, &t.rollout[i], false);
    Ok(
        Reply::created(ctx.entity("policies/featureRolloutPolicies/$entity", body))
            .header(
                "Location",
                format!(
                    "{}/{}/policies/featureRolloutPolicies/{id}",
                    ctx.state.url,
                    ctx.version.prefix()
                ),
            )
            .wrote(),
    )
}

fn update_policy(ctx: &Ctx<'_>, id: &str) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    if b.contains_key("feature") {
        return Err(ApiError::bad_request(
            "Property 'feature' cannot be updated: create a policy for the other feature.",
        ));
    }
    body::only(
        &b,
        &[
            "displayName",
            "description",
            "isEnabled",
            "isAppliedToOrganization",
        ],
        "featureRolloutPolicy",
    )?;
    let dn = body::string(&b, "displayName")?.map(str::to_string);
    let desc = body::string(&b, "description")?.map(str::to_string);
    let enabled = body::boolean(&b, "isEnabled")?;
    let org = body::boolean(&b, "isAppliedToOrganization")?;
    let mut t = ctx.state.write_tenant();
    let i = t.rollout_index(id)?;
    let p = &mut t.rollout[i];
    if let Some(v) = dn {
        p.display_name = v;
    }
    if desc.is_some() {
        p.description = desc;
    }
    if let Some(v) = enabled {
        p.is_enabled = v;
    }
    if let Some(v) = org {
        p.applied_to_org = v;
    }
    let pid = fmt_oid(p.id);
    ctx.record(&mut t, None, WriteOp::UpdateRolloutPolicy { id: pid });
    Ok(Reply::no_content().wrote())
}
