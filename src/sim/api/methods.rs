//! A user's authentication methods (graph-api.md §4): phones (full CRUD, fixed ids per
//! type), Microsoft Authenticator and software OATH (read and delete only — public Graph
//! cannot create them), the polymorphic `methods` list, and the beta-only
//! `signInPreferences` and `requirements`.

use axum::http::Method;
use serde_json::{Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::tenant::view::WriteOp;
use super::super::tenant::{
    DefaultMethod, PerUserMfa, PhoneType, Tenant, User, fmt_oid, parse_oid,
};
use super::super::variants::SimCloud;
use super::directory::find_user;
use super::{Ctx, Reply, body, hardware, select};

/// The password method every user has (its id is fixed in Graph).
const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// Permissions accepted to read / write a method family: the broad
/// `UserAuthenticationMethod.*` or the granular `UserAuthMethod-{family}.*`.
pub(super) fn method_perms(family: Option<&str>, write: bool) -> Vec<String> {
    let mut v = vec!["UserAuthenticationMethod.ReadWrite.All".to_string()];
    if !write {
        v.push("UserAuthenticationMethod.Read.All".to_string());
    }
    if let Some(f) = family {
        v.push(format!("UserAuthMethod-{f}.ReadWrite.All"));
        v.push(format!("UserAuthMethod-{f}.ReadWrite"));
        if !write {
            v.push(format!("UserAuthMethod-{f}.Read.All"));
            v.push(format!("UserAuthMethod-{f}.Read"));
        }
    }
    v
}

pub(super) fn require_methods(ctx: &Ctx<'_>, family: Option<&str>, write: bool) -> ApiResult<()> {
    let perms = method_perms(family, write);
    let refs: Vec<&str> = perms.iter().map(String::as_str).collect();
    ctx.require(&refs)
}

fn is(ctx: &Ctx<'_>, m: Method) -> bool {
    ctx.method == m
}

pub(super) fn route(ctx: &Ctx<'_>, key: &str, tail: &[&str]) -> ApiResult<Reply> {
    match tail {
        [] => Err(ApiError::bad_request(
            "Name a method collection, e.g. /authentication/methods.",
        )),
        ["phoneMethods"] => {
            if is(ctx, Method::GET) {
                require_methods(ctx, Some("Phone"), false)?;
                list_phones(ctx, key)
            } else if is(ctx, Method::POST) {
                require_methods(ctx, Some("Phone"), true)?;
                add_phone(ctx, key)
            } else {
                Err(ApiError::method_not_allowed())
            }
        }
        ["phoneMethods", id] => {
            let t = PhoneType::from_method_id(id).ok_or_else(|| no_method(id))?;
            match ctx.method {
                Method::GET => {
                    require_methods(ctx, Some("Phone"), false)?;
                    ctx.query.allow(&["$select"])?;
                    let tn = ctx.state.read_tenant();
                    let u = find_user(&tn, key)?;
                    let user = &tn.users[u as usize];
                    let number = user.phone(t).ok_or_else(|| no_method(id))?;
                    let body = select(phone_json(t, number, false), ctx.query.select.as_deref());
                    Ok(Reply::ok(ctx.entity(
                        &format!(
                            "users('{}')/authentication/phoneMethods/$entity",
                            fmt_oid(user.id)
                        ),
                        body,
                    )))
                }
                Method::PATCH => {
                    require_methods(ctx, Some("Phone"), true)?;
                    refuse_in_china(ctx)?;
                    update_phone(ctx, key, t)
                }
                Method::DELETE => {
                    require_methods(ctx, Some("Phone"), true)?;
                    refuse_in_china(ctx)?;
                    let mut tn = ctx.state.write_tenant();
                    let u = find_user(&tn, key)?;
                    tn.delete_phone(u, t)?;
                    ctx.record(&mut tn, Some(u), WriteOp::DeletePhone(t));
                    Ok(Reply::no_content().wrote())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["methods"] => {
            if !is(ctx, Method::GET) {
                return Err(ApiError::method_not_allowed());
            }
            require_methods(ctx, None, false)?;
            ctx.query.allow(&[])?;
            let tn = ctx.state.read_tenant();
            let u = find_user(&tn, key)?;
            let user = &tn.users[u as usize];
            let items = all_methods(ctx, &tn, user);
            Ok(ctx.collection(
                &format!("users('{}')/authentication/methods", fmt_oid(user.id)),
                items,
                None,
                None,
            ))
        }
        ["methods", id] => {
            if !is(ctx, Method::GET) {
                return Err(ApiError::method_not_allowed());
            }
            require_methods(ctx, None, false)?;
            let tn = ctx.state.read_tenant();
            let u = find_user(&tn, key)?;
            let user = &tn.users[u as usize];
            let item = all_methods(ctx, &tn, user)
                .into_iter()
                .find(|m| {
                    m.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|x| x.eq_ignore_ascii_case(id))
                })
                .ok_or_else(|| no_method(id))?;
            Ok(Reply::ok(ctx.entity(
                &format!(
                    "users('{}')/authentication/methods/$entity",
                    fmt_oid(user.id)
                ),
                item,
            )))
        }
        ["passwordMethods"] => {
            if !is(ctx, Method::GET) {
                return Err(ApiError::method_not_allowed());
            }
            require_methods(ctx, None, false)?;
            let tn = ctx.state.read_tenant();
            let u = find_user(&tn, key)?;
            Ok(ctx.collection(
                &format!(
                    "users('{}')/authentication/passwordMethods",
                    fmt_oid(tn.users[u as usize].id)
                ),
                vec![password_json(false)],
                None,
                None,
            ))
        }
        ["microsoftAuthenticatorMethods"] => {
            if !is(ctx, Method::GET) {
                // Graph honesty: registrations cannot be created through public Graph.
                return Err(ApiError::method_not_allowed());
            }
            require_methods(ctx, Some("MicrosoftAuthApp"), false)?;
            ctx.query.allow(&[])?;
            let tn = ctx.state.read_tenant();
            let u = find_user(&tn, key)?;
            let user = &tn.users[u as usize];
            let items = user
                .authenticators
                .iter()
                .map(|a| authenticator_json(a, false))
                .collect();
            Ok(ctx.collection(
                &format!(
                    "users('{}')/authentication/microsoftAuthenticatorMethods",
                    fmt_oid(user.id)
                ),
                items,
                None,
                None,
            ))
        }
        ["microsoftAuthenticatorMethods", id] => {
            let oid = parse_oid(id).ok_or_else(|| no_method(id))?;
            match ctx.method {
                Method::GET => {
                    require_methods(ctx, Some("MicrosoftAuthApp"), false)?;
                    let tn = ctx.state.read_tenant();
                    let u = find_user(&tn, key)?;
                    let user = &tn.users[u as usize];
                    let a = user
                        .authenticators
                        .iter()
                        .find(|a| a.id == oid)
                        .ok_or_else(|| no_method(id))?;
                    Ok(Reply::ok(ctx.entity(
                        &format!(
                            "users('{}')/authentication/microsoftAuthenticatorMethods/$entity",
                            fmt_oid(user.id)
                        ),
                        authenticator_json(a, false),
                    )))
                }
                Method::DELETE => {
                    require_methods(ctx, Some("MicrosoftAuthApp"), true)?;
                    let mut tn = ctx.state.write_tenant();
                    let u = find_user(&tn, key)?;
                    tn.delete_authenticator(u, oid)?;
                    ctx.record(&mut tn, Some(u), WriteOp::DeleteAuthenticator);
                    Ok(Reply::no_content().wrote())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["softwareOathMethods"] => {
            if !is(ctx, Method::GET) {
                // Graph honesty: software OATH tokens cannot be created through public Graph.
                return Err(ApiError::method_not_allowed());
            }
            require_methods(ctx, Some("SoftwareOATH"), false)?;
            ctx.query.allow(&[])?;
            let tn = ctx.state.read_tenant();
            let u = find_user(&tn, key)?;
            let user = &tn.users[u as usize];
            let items = user
                .software_oath
                .iter()
                .map(|&id| software_json(id, false))
                .collect();
            Ok(ctx.collection(
                &format!(
                    "users('{}')/authentication/softwareOathMethods",
                    fmt_oid(user.id)
                ),
                items,
                None,
                None,
            ))
        }
        ["softwareOathMethods", id] => {
            let oid = parse_oid(id).ok_or_else(|| no_method(id))?;
            match ctx.method {
                Method::GET => {
                    require_methods(ctx, Some("SoftwareOATH"), false)?;
                    let tn = ctx.state.read_tenant();
                    let u = find_user(&tn, key)?;
                    let user = &tn.users[u as usize];
                    if !user.software_oath.contains(&oid) {
                        return Err(no_method(id));
                    }
                    Ok(Reply::ok(ctx.entity(
                        &format!(
                            "users('{}')/authentication/softwareOathMethods/$entity",
                            fmt_oid(user.id)
                        ),
                        software_json(oid, false),
                    )))
                }
                Method::DELETE => {
                    require_methods(ctx, Some("SoftwareOATH"), true)?;
                    let mut tn = ctx.state.write_tenant();
                    let u = find_user(&tn, key)?;
                    tn.delete_software_oath(u, oid)?;
                    ctx.record(&mut tn, Some(u), WriteOp::DeleteSoftwareOath);
                    Ok(Reply::no_content().wrote())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["hardwareOathMethods", rest @ ..] => {
            if !ctx.beta() {
                return Err(ApiError::no_segment("hardwareOathMethods"));
            }
            hardware::user_methods(ctx, key, rest)
        }
        ["signInPreferences"] => {
            if !ctx.beta() {
                return Err(ApiError::no_segment("signInPreferences"));
            }
            sign_in_preferences(ctx, key)
        }
        ["requirements"] => {
            if !ctx.beta() {
                return Err(ApiError::no_segment("requirements"));
            }
            requirements(ctx, key)
        }
        [next, ..] => Err(ApiError::no_segment(next)),
    }
}

/// Updating or deleting a phone is not offered in the China cloud (the update and delete
/// pages' national-cloud include is `global-us`).
fn refuse_in_china(ctx: &Ctx<'_>) -> ApiResult<()> {
    if ctx.state.variants().cloud == SimCloud::China {
        return Err(ApiError::new(
            405,
            "Request_BadRequest",
            "Updating or deleting a phone method is not available in this national cloud.",
        ));
    }
    Ok(())
}

pub(super) fn no_method(id: &str) -> ApiError {
    ApiError::new(
        404,
        "itemNotFound",
        format!("The authentication method '{id}' does not exist for this user."),
    )
}

fn phone_json(t: PhoneType, number: &str, with_type: bool) -> Value {
    let mut v = json!({
        "id": t.method_id(),
        "phoneNumber": number,
        "phoneType": t.graph_name(),
        // SMS sign-in exists on the primary mobile number only.
        "smsSignInState": if t == PhoneType::Mobile { "notConfigured" } else { "notSupported" },
    });
    if with_type && let Value::Object(m) = &mut v {
        m.insert(
            "@odata.type".into(),
            json!("#microsoft.graph.phoneAuthenticationMethod"),
        );
    }
    v
}

fn authenticator_json(a: &super::super::tenant::Authenticator, with_type: bool) -> Value {
    let mut v = json!({
        "id": fmt_oid(a.id),
        "displayName": &*a.display_name,
        "deviceTag": "SoftwareTokenActivated",
        "phoneAppVersion": &*a.phone_app_version,
        // Null unless the instance is registered for passwordless sign-in (§4.4).
        "createdDateTime": Value::Null,
    });
    if with_type && let Value::Object(m) = &mut v {
        m.insert(
            "@odata.type".into(),
            json!("#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"),
        );
    }
    v
}

fn software_json(id: u128, with_type: bool) -> Value {
    let mut v = json!({ "id": fmt_oid(id), "secretKey": Value::Null });
    if with_type && let Value::Object(m) = &mut v {
        m.insert(
            "@odata.type".into(),
            json!("#microsoft.graph.softwareOathAuthenticationMethod"),
        );
    }
    v
}

fn password_json(with_type: bool) -> Value {
    let mut v = json!({
        "id": PASSWORD_METHOD_ID,
        "password": Value::Null,
        "createdDateTime": "2023-01-09T08:00:00Z",
    });
    if with_type && let Value::Object(m) = &mut v {
        m.insert(
            "@odata.type".into(),
            json!("#microsoft.graph.passwordAuthenticationMethod"),
        );
    }
    v
}

/// Every method, each with its `@odata.type`; only the types the version serves.
fn all_methods(ctx: &Ctx<'_>, t: &Tenant, user: &User) -> Vec<Value> {
    let mut v = vec![password_json(true)];
    for pt in PhoneType::ALL {
        if let Some(n) = user.phone(pt) {
            v.push(phone_json(pt, n, true));
        }
    }
    v.extend(
        user.authenticators
            .iter()
            .map(|a| authenticator_json(a, true)),
    );
    v.extend(user.software_oath.iter().map(|&id| software_json(id, true)));
    if ctx.beta() {
        for &id in &user.hardware {
            if let Some(d) = t.device_by_id(id).and_then(|s| t.device_at(s)) {
                v.push(hardware::method_json(t, d));
            }
        }
    }
    v
}

fn list_phones(ctx: &Ctx<'_>, key: &str) -> ApiResult<Reply> {
    ctx.query.allow(&["$select"])?;
    let t = ctx.state.read_tenant();
    let u = find_user(&t, key)?;
    let user = &t.users[u as usize];
    let items = PhoneType::ALL
        .into_iter()
        .filter_map(|pt| user.phone(pt).map(|n| phone_json(pt, n, false)))
        .map(|v| select(v, ctx.query.select.as_deref()))
        .collect();
    Ok(ctx.collection(
        &format!("users('{}')/authentication/phoneMethods", fmt_oid(user.id)),
        items,
        None,
        None,
    ))
}

fn add_phone(ctx: &Ctx<'_>, key: &str) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    if b.contains_key("smsSignInState") {
        return Err(ApiError::bad_request(
            "Property 'smsSignInState' is read-only and must not be sent.",
        ));
    }
    body::only(
        &b,
        &["phoneNumber", "phoneType"],
        "phoneAuthenticationMethod",
    )?;
    let number = body::required_string(&b, "phoneNumber")?;
    let kind = body::required_string(&b, "phoneType")?;
    let t = PhoneType::from_graph(kind).ok_or_else(|| {
        ApiError::bad_request(format!(
            "'{kind}' is not a phoneType: expected mobile, alternateMobile or office."
        ))
    })?;
    let mut tn = ctx.state.write_tenant();
    let u = find_user(&tn, key)?;
    tn.add_phone(u, t, number)?;
    ctx.record(&mut tn, Some(u), WriteOp::AddPhone(t));
    let user_id = fmt_oid(tn.users[u as usize].id);
    let location = format!(
        "{}/{}/users/{user_id}/authentication/phoneMethods/{}",
        ctx.state.url,
        ctx.version.prefix(),
        t.method_id()
    );
    Ok(Reply::created(ctx.entity(
        &format!("users('{user_id}')/authentication/phoneMethods/$entity"),
        phone_json(t, number, false),
    ))
    .header("Location", location)
    .wrote())
}

fn update_phone(ctx: &Ctx<'_>, key: &str, t: PhoneType) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    body::only(
        &b,
        &["phoneNumber", "phoneType"],
        "phoneAuthenticationMethod",
    )?;
    if let Some(kind) = body::string(&b, "phoneType")?
        && PhoneType::from_graph(kind) != Some(t)
    {
        return Err(ApiError::bad_request(format!(
            "phoneType cannot be changed (this method is '{}'): add a phone of the new type, then delete this one.",
            t.graph_name()
        )));
    }
    let number = body::required_string(&b, "phoneNumber")?;
    let mut tn = ctx.state.write_tenant();
    let u = find_user(&tn, key)?;
    tn.update_phone(u, t, number)?;
    ctx.record(&mut tn, Some(u), WriteOp::UpdatePhone(t));
    Ok(Reply::no_content().wrote())
}

const PREFS_READ: [&str; 4] = [
    "UserAuthenticationMethod.Read",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.ReadWrite.All",
];
const PREFS_WRITE: [&str; 2] = [
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.ReadWrite.All",
];

fn sign_in_preferences(ctx: &Ctx<'_>, key: &str) -> ApiResult<Reply> {
    match ctx.method {
        Method::GET => {
            ctx.require(&PREFS_READ)?;
            let t = ctx.state.read_tenant();
            let u = find_user(&t, key)?;
            let user = &t.users[u as usize];
            Ok(Reply::ok(ctx.entity(
                &format!(
                    "users('{}')/authentication/signInPreferences",
                    fmt_oid(user.id)
                ),
                json!({
                    "isSystemPreferredAuthenticationMethodEnabled": user.system_preferred,
                    "userPreferredMethodForSecondaryAuthentication":
                        user.preferred.map(DefaultMethod::graph_name),
                }),
            )))
        }
        Method::PATCH => {
            ctx.require(&PREFS_WRITE)?;
            let b = ctx.json_body()?;
            body::only(
                &b,
                &[
                    "userPreferredMethodForSecondaryAuthentication",
                    "isSystemPreferredAuthenticationMethodEnabled",
                ],
                "signInPreferences",
            )?;
            let preferred = match b.get("userPreferredMethodForSecondaryAuthentication") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(DefaultMethod::from_graph(s).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "'{s}' is not a userDefaultAuthenticationMethodType: expected push, oath, voiceMobile, voiceAlternateMobile, voiceOffice or sms."
                    ))
                })?)),
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "Property 'userPreferredMethodForSecondaryAuthentication' must be a string.",
                    ));
                }
            };
            let system = body::boolean(&b, "isSystemPreferredAuthenticationMethodEnabled")?;
            if preferred == Some(Some(DefaultMethod::VoiceOffice))
                && !ctx.state.variants().office_phone_allowed
            {
                return Err(ApiError::invalid(
                    "voiceOffice cannot be the default method: the Voice method does not allow office phones (isOfficePhoneAllowed is false).",
                ));
            }
            let mut t = ctx.state.write_tenant();
            let u = find_user(&t, key)?;
            t.set_sign_in_preferences(u, preferred, system)?;
            ctx.record(&mut t, Some(u), WriteOp::SetSignInPreferences);
            Ok(Reply::no_content().wrote())
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn requirements(ctx: &Ctx<'_>, key: &str) -> ApiResult<Reply> {
    match ctx.method {
        Method::GET => {
            ctx.require(&["Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"])?;
            let t = ctx.state.read_tenant();
            let u = find_user(&t, key)?;
            let user = &t.users[u as usize];
            Ok(Reply::ok(ctx.entity(
                &format!("users('{}')/authentication/requirements", fmt_oid(user.id)),
                json!({ "perUserMfaState": user.per_user_mfa.graph_name() }),
            )))
        }
        Method::PATCH => {
            ctx.require(&["Policy.ReadWrite.AuthenticationMethod"])?;
            let b = ctx.json_body()?;
            body::only(&b, &["perUserMfaState"], "strongAuthenticationRequirements")?;
            let s = body::required_string(&b, "perUserMfaState")?;
            let state = PerUserMfa::from_graph(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "'{s}' is not a perUserMfaState: expected disabled, enabled or enforced."
                ))
            })?;
            let mut t = ctx.state.write_tenant();
            let u = find_user(&t, key)?;
            t.user_mut(u)?.per_user_mfa = state;
            ctx.record(&mut t, Some(u), WriteOp::SetRequirements);
            Ok(Reply::no_content().wrote())
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}
