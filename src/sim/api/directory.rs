//! Users, groups and memberships (graph-api.md §3): lookups by id or UPN, filters with
//! the advanced-query rules, group members and transitive members with the user cast,
//! and the JSON of users, groups and contacts.

use serde_json::{Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::odata::{Filter, Filterable, PropVal};
use super::super::tenant::{
    Contact, Group, GroupKind, Member, Tenant, User, UserKey, fmt_oid, parse_oid,
};
use super::{Ctx, Reply, methods, select};

pub(crate) const USER_PROPS: [&str; 29] = [
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "mobilePhone",
    "businessPhones",
    "jobTitle",
    "officeLocation",
    "preferredLanguage",
    "accountEnabled",
    "employeeId",
    "onPremisesSecurityIdentifier",
    "onPremisesSamAccountName",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "onPremisesDomainName",
    "onPremisesDistinguishedName",
    "onPremisesImmutableId",
    "userType",
    "department",
    "companyName",
    "usageLocation",
    "createdDateTime",
    "proxyAddresses",
    "otherMails",
    "city",
    "country",
];

/// What `GET /users` returns without `$select` (§3.1).
const USER_DEFAULT: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

const GROUP_PROPS: [&str; 13] = [
    "id",
    "displayName",
    "description",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
    "securityEnabled",
    "mailEnabled",
    "mailNickname",
    "onPremisesSyncEnabled",
    "createdDateTime",
    "visibility",
    "isAssignableToRole",
];

const CONTACT_PROPS: [&str; 6] = [
    "id",
    "displayName",
    "mail",
    "givenName",
    "surname",
    "companyName",
];

const READ_USERS: [&str; 5] = [
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.ReadBasic.All",
];

const READ_GROUPS: [&str; 7] = [
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "GroupMember.ReadBasic.All",
];

fn user_prop(u: &User, name: &str) -> Value {
    match name {
        "id" => json!(fmt_oid(u.id)),
        "displayName" => json!(&*u.display_name),
        "givenName" => json!(&*u.given_name),
        "surname" => json!(&*u.surname),
        "userPrincipalName" => json!(&*u.upn),
        "mail" => json!(&*u.mail),
        "businessPhones" | "proxyAddresses" | "otherMails" => json!([]),
        "accountEnabled" => json!(u.enabled),
        "employeeId" => json!(&*u.employee_id),
        "onPremisesSecurityIdentifier" => json!(u.sid.as_deref()),
        "onPremisesSamAccountName" => json!(u.sam.as_deref()),
        "onPremisesSyncEnabled" => {
            if u.synced {
                json!(true)
            } else {
                Value::Null
            }
        }
        "onPremisesUserPrincipalName" => json!(u.synced.then_some(&*u.upn)),
        "onPremisesDomainName" => json!(u.on_premises_domain()),
        "userType" => json!("Member"),
        _ => Value::Null,
    }
}

/// A user's JSON: the default properties, or the selected ones.
pub(crate) fn user_json(u: &User, sel: Option<&[String]>, with_type: bool) -> Value {
    let mut m = serde_json::Map::new();
    if with_type {
        m.insert("@odata.type".into(), json!("#microsoft.graph.user"));
    }
    match sel {
        None => {
            for p in USER_DEFAULT {
                m.insert(p.into(), user_prop(u, p));
            }
        }
        Some(sel) => {
            for s in sel {
                if let Some(p) = USER_PROPS.iter().find(|p| p.eq_ignore_ascii_case(s)) {
                    m.insert((*p).into(), user_prop(u, p));
                }
            }
        }
    }
    Value::Object(m)
}

pub(crate) fn group_json(g: &Group, with_type: bool) -> Value {
    let dynamic = matches!(g.kind, GroupKind::Dynamic { .. });
    let mut v = json!({
        "id": fmt_oid(g.id),
        "displayName": g.display_name,
        "description": g.description,
        "groupTypes": if dynamic { json!(["DynamicMembership"]) } else { json!([]) },
        "membershipRule": match &g.kind { GroupKind::Dynamic { rule } => json!(rule), GroupKind::Assigned => Value::Null },
        "membershipRuleProcessingState": if dynamic { json!("On") } else { Value::Null },
        "securityEnabled": true,
        "mailEnabled": false,
        "mailNickname": g.display_name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>(),
        "onPremisesSyncEnabled": if g.synced { json!(true) } else { Value::Null },
        "createdDateTime": "2023-01-09T08:00:00Z",
        "visibility": Value::Null,
        "isAssignableToRole": Value::Null,
    });
    if with_type && let Value::Object(m) = &mut v {
        m.insert("@odata.type".into(), json!("#microsoft.graph.group"));
    }
    v
}

fn contact_json(c: &Contact) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.orgContact",
        "id": fmt_oid(c.id),
        "displayName": c.display_name,
        "mail": c.mail,
        "givenName": Value::Null,
        "surname": Value::Null,
        "companyName": Value::Null,
    })
}

fn user_filter(prop: &str) -> Option<Filterable> {
    match prop {
        "onPremisesSamAccountName" => Some(Filterable::AdvancedOnly),
        "id"
        | "userPrincipalName"
        | "onPremisesSecurityIdentifier"
        | "mail"
        | "employeeId"
        | "displayName"
        | "givenName"
        | "surname"
        | "accountEnabled"
        | "onPremisesSyncEnabled"
        | "userType" => Some(Filterable::Default),
        _ => None,
    }
}

fn user_value<'a>(u: &'a User, prop: &str) -> PropVal<'a> {
    let s = |v: &'a str| PropVal::Str(v);
    let opt = |v: Option<&'a str>| v.map(PropVal::Str).unwrap_or(PropVal::Null);
    match prop {
        "userPrincipalName" => s(&u.upn),
        "mail" => s(&u.mail),
        "employeeId" => s(&u.employee_id),
        "displayName" => s(&u.display_name),
        "givenName" => s(&u.given_name),
        "surname" => s(&u.surname),
        "onPremisesSecurityIdentifier" => opt(u.sid.as_deref()),
        "onPremisesSamAccountName" => opt(u.sam.as_deref()),
        "accountEnabled" => PropVal::Bool(u.enabled),
        "onPremisesSyncEnabled" => {
            if u.synced {
                PropVal::Bool(true)
            } else {
                PropVal::Null
            }
        }
        "userType" => s("Member"),
        _ => PropVal::Null,
    }
}

fn user_matches(u: &User, f: &Filter) -> bool {
    // The id is formatted only for filters that name it.
    let id = fmt_oid(u.id);
    f.eval(&|p: &str| {
        if p == "id" {
            PropVal::Str(id.as_str())
        } else {
            user_value(u, p)
        }
    })
}

/// `/users…`
pub(super) fn users(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    match rest {
        [] => {
            if ctx.method != axum::http::Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&READ_USERS)?;
            list_users(ctx)
        }
        ["$count"] => {
            if ctx.method != axum::http::Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&READ_USERS)?;
            ctx.query.allow(&[])?;
            // `/$count` on directory objects is an advanced query (aad-advanced-queries).
            if !ctx.headers.eventual {
                return Err(ApiError::bad_request("$count is not currently supported."));
            }
            let n = ctx.state.read_tenant().users.len();
            Ok(Reply {
                status: 200,
                headers: vec![("Content-Type", "text/plain;charset=utf-8".to_string())],
                body: Some(serde_json::json!(n)),
                wrote: false,
            })
        }
        [key] => {
            if ctx.method != axum::http::Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&READ_USERS)?;
            ctx.query.allow(&["$select"])?;
            let sel = ctx.query.checked_select(&USER_PROPS, "user")?;
            let t = ctx.state.read_tenant();
            let u = find_user(&t, key)?;
            let body = user_json(&t.users[u as usize], sel.as_deref(), false);
            Ok(Reply::ok(ctx.entity("users/$entity", body)))
        }
        [key, "authentication", tail @ ..] => methods::route(ctx, key, tail),
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }
}

pub(crate) fn find_user(t: &Tenant, key: &str) -> ApiResult<u32> {
    t.find_user(key).ok_or_else(|| ApiError::no_object(key))
}

fn list_users(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let q = &ctx.query;
    if q.pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case("$skip")) {
        return Err(ApiError::bad_request(
            "'$skip' is not supported by the service.",
        ));
    }
    q.allow(&["$select", "$top", "$count", "$filter", "$skiptoken"])?;
    ctx.check_count()?;
    let top = q.top(100, 999)?;
    let sel = q.checked_select(&USER_PROPS, "user")?;
    if let Some(f) = &q.filter
        && f.check("User", &user_filter)?
        && !ctx.advanced()
    {
        return Err(ApiError::unsupported_query(
            "Unsupported or invalid query filter clause: this filter needs advanced query (header 'ConsistencyLevel: eventual' and '$count=true').",
        ));
    }
    let t = ctx.state.read_tenant();
    // Index lookups for the keys clients resolve users by.
    let candidates: Option<Vec<u32>> = q.filter.as_ref().and_then(|f| {
        let keys = [
            ("userPrincipalName", UserKey::Upn),
            ("onPremisesSecurityIdentifier", UserKey::Sid),
            ("mail", UserKey::Mail),
            ("employeeId", UserKey::EmployeeId),
            ("onPremisesSamAccountName", UserKey::Sam),
        ];
        for (prop, key) in keys {
            if let Some(values) = f.lookup_values(prop) {
                let mut v: Vec<u32> = values.iter().flat_map(|x| t.users_by(key, x)).collect();
                v.sort_unstable();
                v.dedup();
                return Some(v);
            }
        }
        f.lookup_values("id").map(|ids| {
            let mut v: Vec<u32> = ids
                .iter()
                .filter_map(|i| parse_oid(i).and_then(|o| t.object(o)))
                .filter_map(|m| match m {
                    Member::User(u) => Some(u),
                    _ => None,
                })
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
    });
    let len = candidates.as_ref().map_or(t.users.len(), Vec::len);
    let at = |pos: usize| -> &User {
        let i = candidates.as_ref().map_or(pos as u32, |c| c[pos]);
        &t.users[i as usize]
    };
    let matches = |u: &User| q.filter.as_ref().is_none_or(|f| user_matches(u, f));
    let start = ctx.page_position()? as usize;
    let mut items = Vec::new();
    let mut pos = start.min(len);
    while pos < len && items.len() < top {
        let u = at(pos);
        if matches(u) {
            items.push(user_json(u, sel.as_deref(), false));
        }
        pos += 1;
    }
    let next = (pos < len).then_some(pos as u64);
    let count =
        (q.count && q.skiptoken.is_none()).then(|| (0..len).filter(|&p| matches(at(p))).count());
    let context = match &sel {
        Some(s) => format!("users({})", s.join(",")),
        None => "users".to_string(),
    };
    Ok(ctx.collection(&context, items, next, count))
}

/// `/groups…`
pub(super) fn groups(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    if ctx.method != axum::http::Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    ctx.require(&READ_GROUPS)?;
    match rest {
        [] => list_groups(ctx),
        [key] => {
            ctx.query.allow(&["$select"])?;
            let sel = ctx.query.checked_select(&GROUP_PROPS, "group")?;
            let t = ctx.state.read_tenant();
            let g = t.find_group(key).ok_or_else(|| ApiError::no_object(key))?;
            let body = select(group_json(&t.groups[g as usize], false), sel.as_deref());
            Ok(Reply::ok(ctx.entity("groups/$entity", body)))
        }
        [key, rel @ ("members" | "transitiveMembers")] => members(ctx, key, rel, None),
        [
            key,
            rel @ ("members" | "transitiveMembers"),
            cast @ ("microsoft.graph.user" | "microsoft.graph.group"),
        ] => members(ctx, key, rel, Some(cast)),
        [key, rel @ ("members" | "transitiveMembers"), "$count"] => {
            let _ = (key, rel);
            Err(ApiError::bad_request(
                "The simulated tenant does not serve /$count: use $count=true with ConsistencyLevel: eventual.",
            ))
        }
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }
}

fn group_filter(prop: &str) -> Option<Filterable> {
    match prop {
        "id" | "displayName" | "mailNickname" | "securityEnabled" | "mailEnabled" => {
            Some(Filterable::Default)
        }
        _ => None,
    }
}

fn list_groups(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let q = &ctx.query;
    q.allow(&["$select", "$top", "$count", "$filter", "$skiptoken"])?;
    ctx.check_count()?;
    let top = q.top(100, 999)?;
    let sel = q.checked_select(&GROUP_PROPS, "group")?;
    if let Some(f) = &q.filter
        && f.check("Group", &group_filter)?
        && !ctx.advanced()
    {
        return Err(ApiError::unsupported_query(
            "Unsupported or invalid query filter clause: this filter needs advanced query (header 'ConsistencyLevel: eventual' and '$count=true').",
        ));
    }
    let t = ctx.state.read_tenant();
    let matches = |g: &Group| {
        q.filter.as_ref().is_none_or(|f| {
            let id = fmt_oid(g.id);
            f.eval(&|p: &str| match p {
                "id" => PropVal::Str(id.as_str()),
                "displayName" => PropVal::Str(&g.display_name),
                "securityEnabled" => PropVal::Bool(true),
                "mailEnabled" => PropVal::Bool(false),
                _ => PropVal::Null,
            })
        })
    };
    let candidates: Vec<u32> = match q
        .filter
        .as_ref()
        .and_then(|f| f.lookup_values("displayName"))
    {
        Some(names) => {
            let mut v: Vec<u32> = names.iter().flat_map(|n| t.groups_named(n)).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        None => (0..t.groups.len() as u32).collect(),
    };
    let start = ctx.page_position()? as usize;
    let mut items = Vec::new();
    let mut pos = start.min(candidates.len());
    while pos < candidates.len() && items.len() < top {
        let g = &t.groups[candidates[pos] as usize];
        if matches(g) {
            items.push(select(group_json(g, false), sel.as_deref()));
        }
        pos += 1;
    }
    let next = (pos < candidates.len()).then_some(pos as u64);
    let count = (q.count && q.skiptoken.is_none()).then(|| {
        candidates
            .iter()
            .filter(|&&g| matches(&t.groups[g as usize]))
            .count()
    });
    Ok(ctx.collection("groups", items, next, count))
}

/// Direct or transitive members, optionally cast to users or groups. Each page covers
/// `$top` members of the group; a cast or a filter drops the others from the page, so
/// pages can be short, or empty with a nextLink.
fn members(ctx: &Ctx<'_>, key: &str, rel: &str, cast: Option<&str>) -> ApiResult<Reply> {
    let q = &ctx.query;
    q.allow(&["$select", "$top", "$count", "$filter", "$skiptoken"])?;
    ctx.check_count()?;
    if cast.is_some() && !ctx.advanced() {
        return Err(ApiError::unsupported_query(
            "The OData cast on a member list needs advanced query: send 'ConsistencyLevel: eventual' and '$count=true'.",
        ));
    }
    if let Some(f) = &q.filter {
        f.check("DirectoryObject", &user_filter)?;
        if !ctx.advanced() {
            return Err(ApiError::unsupported_query(
                "Filtering members needs advanced query: send 'ConsistencyLevel: eventual' and '$count=true'.",
            ));
        }
    }
    let top = q.top(100, 999)?;
    let known: Vec<&str> = match cast {
        Some("microsoft.graph.user") => USER_PROPS.to_vec(),
        Some(_) => GROUP_PROPS.to_vec(),
        None => USER_PROPS
            .iter()
            .chain(GROUP_PROPS.iter())
            .chain(CONTACT_PROPS.iter())
            .copied()
            .collect(),
    };
    let sel = q.checked_select(&known, "directoryObject")?;
    let t = ctx.state.read_tenant();
    let g = t.find_group(key).ok_or_else(|| ApiError::no_object(key))?;
    let flattened;
    let list: &[Member] = if rel == "transitiveMembers" {
        flattened = t.transitive_members(g);
        &flattened
    } else {
        &t.groups[g as usize].members
    };
    let keep = |m: &Member| -> bool {
        let cast_ok = matches!(
            (cast, m),
            (None, _)
                | (Some("microsoft.graph.user"), Member::User(_))
                | (Some("microsoft.graph.group"), Member::Group(_))
        );
        cast_ok
            && q.filter.as_ref().is_none_or(|f| match m {
                Member::User(u) => user_matches(&t.users[*u as usize], f),
                _ => false,
            })
    };
    let start = (ctx.page_position()? as usize).min(list.len());
    let end = (start + top).min(list.len());
    let items: Vec<Value> = list[start..end]
        .iter()
        .filter(|m| keep(m))
        .map(|m| match *m {
            Member::User(u) => user_json(&t.users[u as usize], sel.as_deref(), true),
            Member::Group(x) => select(group_json(&t.groups[x as usize], true), sel.as_deref()),
            Member::Contact(c) => select(contact_json(&t.contacts[c as usize]), sel.as_deref()),
        })
        .collect();
    let next = (end < list.len()).then_some(end as u64);
    let count = (q.count && q.skiptoken.is_none()).then(|| list.iter().filter(|m| keep(m)).count());
    let context = match cast {
        Some("microsoft.graph.user") => "users",
        Some(_) => "groups",
        None => "directoryObjects",
    };
    Ok(ctx.collection(context, items, next, count))
}
