//! Hardware OATH tokens, beta only (graph-api.md §4.5): the tenant's inventory under
//! `/directory/authenticationMethodDevices/hardwareOathDevices` (created with the secret,
//! which is never returned), and a user's `hardwareOathMethods`: assign, activate with a
//! verification code, assign-and-activate (by id or serial number), deactivate, unassign.

use axum::http::Method;
use data_encoding::BASE32_NOPAD;
use serde_json::{Map, Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::odata::{Filterable, PropVal};
use super::super::otp;
use super::super::tenant::view::WriteOp;
use super::super::tenant::{HwDevice, NewDevice, Tenant, fmt_oid, parse_oid};
use super::super::token::unix_now;
use super::super::variants::{DeviceListShape, SimCloud};
use super::directory::find_user;
use super::methods::{no_method, require_methods};
use super::{Ctx, Reply, body, select};

const INVENTORY_READ: [&str; 5] = [
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
    "UserAuthMethod-HardwareOATH.Read.All",
    "UserAuthMethod-HardwareOATH.ReadWrite.All",
];
const INVENTORY_WRITE: [&str; 1] = ["Policy.ReadWrite.AuthenticationMethod"];

const DEVICE_PROPS: [&str; 12] = [
    "id",
    "displayName",
    "serialNumber",
    "manufacturer",
    "model",
    "secretKey",
    "timeIntervalInSeconds",
    "hashFunction",
    "status",
    "assignedTo",
    "lastUsedDateTime",
    "assignTo",
];

pub(crate) fn device_json(t: &Tenant, d: &HwDevice) -> Value {
    json!({
        "id": fmt_oid(d.id),
        "displayName": d.display_name,
        "serialNumber": d.serial,
        "manufacturer": d.manufacturer,
        "model": d.model,
        "secretKey": Value::Null,
        "timeIntervalInSeconds": d.step,
        "hashFunction": match d.hash { otp::Hash::Sha1 => "hmacsha1", otp::Hash::Sha256 => "hmacsha256" },
        "status": d.status.graph_name(),
        "assignedTo": d.assigned_to.and_then(|u| t.users.get(u as usize)).map(|u| json!({
            "id": fmt_oid(u.id),
            "displayName": &*u.display_name,
        })),
        "lastUsedDateTime": d.last_used.map(|x| x.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

/// A user's hardware method: its id is the device's, the device comes inline.
pub(crate) fn method_json(t: &Tenant, d: &HwDevice) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.hardwareOathAuthenticationMethod",
        "id": fmt_oid(d.id),
        "createdDateTime": d.assigned_at.map(|x| x.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "device": device_json(t, d),
    })
}

fn device_filter(prop: &str) -> Option<Filterable> {
    match prop {
        "id" | "serialNumber" | "status" | "manufacturer" | "model" | "displayName" => {
            Some(Filterable::Default)
        }
        _ => None,
    }
}

fn device_value<'a>(d: &'a HwDevice, id: &'a str, prop: &str) -> PropVal<'a> {
    match prop {
        "id" => PropVal::Str(id),
        "serialNumber" => PropVal::Str(&d.serial),
        "status" => PropVal::Str(d.status.graph_name()),
        "manufacturer" => PropVal::Str(&d.manufacturer),
        "model" => PropVal::Str(&d.model),
        "displayName" => d
            .display_name
            .as_deref()
            .map(PropVal::Str)
            .unwrap_or(PropVal::Null),
        _ => PropVal::Null,
    }
}

/// A list item in the shape the tenant serves: the device itself, or (the list page's
/// example responses) a `hardwareOathAuthenticationMethod` with the device under `device`.
fn list_item(ctx: &Ctx<'_>, t: &Tenant, d: &HwDevice, sel: Option<&[String]>) -> Value {
    match ctx.state.variants().device_list_shape {
        DeviceListShape::Flat => select(device_json(t, d), sel),
        DeviceListShape::Wrapped => json!({
            "@odata.type": "#microsoft.graph.hardwareOathAuthenticationMethod",
            "id": fmt_oid(d.id),
            "device": select(device_json(t, d), sel),
        }),
    }
}

/// Hardware OATH exists in the global cloud only (every hardware OATH page of the docs).
pub(super) fn refuse_outside_global(ctx: &Ctx<'_>, segment: &str) -> ApiResult<()> {
    if ctx.state.variants().cloud == SimCloud::Global {
        return Ok(());
    }
    Err(ApiError::new(
        400,
        "BadRequest",
        format!(
            "Resource not found for the segment '{segment}': hardware OATH tokens are available in the global cloud only."
        ),
    ))
}

/// `/directory/authenticationMethodDevices/hardwareOathDevices…`
pub(super) fn devices(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    refuse_outside_global(ctx, "hardwareOathDevices")?;
    match rest {
        [] => match ctx.method {
            Method::GET => {
                ctx.require(&INVENTORY_READ)?;
                list_devices(ctx)
            }
            Method::POST => {
                ctx.require(&INVENTORY_WRITE)?;
                create_device(ctx)
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        [id] => {
            let slot = {
                let t = ctx.state.read_tenant();
                parse_oid(id)
                    .and_then(|o| t.device_by_id(o))
                    .ok_or_else(|| ApiError::no_object(id))?
            };
            match ctx.method {
                Method::GET => {
                    ctx.require(&INVENTORY_READ)?;
                    let t = ctx.state.read_tenant();
                    let d = t.device_at(slot).ok_or_else(|| ApiError::no_object(id))?;
                    let body = select(device_json(&t, d), ctx.query.select.as_deref());
                    Ok(Reply::ok(ctx.entity(
                        "directory/authenticationMethodDevices/hardwareOathDevices/$entity",
                        body,
                    )))
                }
                Method::PATCH => {
                    ctx.require(&INVENTORY_WRITE)?;
                    let b = ctx.json_body()?;
                    body::only(
                        &b,
                        &["displayName", "manufacturer", "model"],
                        "hardwareOathTokenAuthenticationMethodDevice",
                    )?;
                    let dn = body::string(&b, "displayName")?.map(str::to_string);
                    let man = body::string(&b, "manufacturer")?.map(str::to_string);
                    let model = body::string(&b, "model")?.map(str::to_string);
                    let mut t = ctx.state.write_tenant();
                    t.update_device(slot, dn, man, model)?;
                    let serial = t
                        .device_at(slot)
                        .map(|d| d.serial.clone())
                        .unwrap_or_default();
                    ctx.record(&mut t, None, WriteOp::UpdateHardwareDevice { serial });
                    Ok(Reply::no_content().wrote())
                }
                Method::DELETE => {
                    ctx.require(&INVENTORY_WRITE)?;
                    let mut t = ctx.state.write_tenant();
                    let serial = t.delete_device(slot)?;
                    ctx.record(&mut t, None, WriteOp::DeleteHardwareDevice { serial });
                    Ok(Reply::no_content().wrote())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }
}

fn list_devices(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let q = &ctx.query;
    q.allow(&["$select", "$top", "$filter", "$skiptoken", "$count"])?;
    ctx.check_count()?;
    let top = q.top(100, 999)?;
    let sel = q.checked_select(&DEVICE_PROPS, "hardwareOathTokenAuthenticationMethodDevice")?;
    if let Some(f) = &q.filter
        && f.check(
            "HardwareOathTokenAuthenticationMethodDevice",
            &device_filter,
        )?
        && !ctx.advanced()
    {
        return Err(ApiError::unsupported_query(
            "This filter needs advanced query (header 'ConsistencyLevel: eventual' and '$count=true').",
        ));
    }
    let t = ctx.state.read_tenant();
    // A token uploaded through the legacy CSV is listed under its user only.
    let matches = |d: &HwDevice| {
        !d.legacy_csv
            && q.filter.as_ref().is_none_or(|f| {
                let id = fmt_oid(d.id);
                f.eval(&|p: &str| device_value(d, &id, p))
            })
    };
    // A serial number filter is a lookup.
    if let Some(serials) = q
        .filter
        .as_ref()
        .and_then(|f| f.lookup_values("serialNumber"))
    {
        let items: Vec<Value> = serials
            .iter()
            .filter_map(|s| t.device_by_serial(s))
            .filter_map(|slot| t.device_at(slot))
            .filter(|d| matches(d))
            .map(|d| list_item(ctx, &t, d, sel.as_deref()))
            .collect();
        let count = q.count.then_some(items.len());
        return Ok(ctx.collection(
            "directory/authenticationMethodDevices/hardwareOathDevices",
            items,
            None,
            count,
        ));
    }
    let slots = t.device_slots();
    let mut pos = (ctx.page_position()? as usize).min(slots);
    let mut items = Vec::new();
    while pos < slots && items.len() < top {
        if let Some(d) = t.device_at(pos)
            && matches(d)
        {
            items.push(list_item(ctx, &t, d, sel.as_deref()));
        }
        pos += 1;
    }
    let next = (pos < slots).then_some(pos as u64);
    let count =
        (q.count && q.skiptoken.is_none()).then(|| t.devices().filter(|(_, d)| matches(d)).count());
    Ok(ctx.collection(
        "directory/authenticationMethodDevices/hardwareOathDevices",
        items,
        next,
        count,
    ))
}

/// A base32 secret as Graph takes it (case-insensitive, `=` padding and spaces allowed).
fn decode_secret(text: &str) -> ApiResult<Vec<u8>> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = BASE32_NOPAD.decode(cleaned.as_bytes()).map_err(|_| {
        ApiError::bad_request("secretKey is not base32 (RFC 4648: letters A-Z and digits 2-7).")
    })?;
    if !(10..=80).contains(&bytes.len()) {
        return Err(ApiError::bad_request(format!(
            "secretKey decodes to {} bytes; 10 to 80 bytes (16 to 128 base32 characters) are accepted.",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn hash_function(b: &Map<String, Value>) -> ApiResult<otp::Hash> {
    match body::string(b, "hashFunction")? {
        None => Ok(otp::Hash::Sha1),
        Some(s) if s.eq_ignore_ascii_case("hmacsha1") => Ok(otp::Hash::Sha1),
        Some(s) if s.eq_ignore_ascii_case("hmacsha256") => Ok(otp::Hash::Sha256),
        Some(s) => Err(ApiError::bad_request(format!(
            "'{s}' is not a hashFunction: expected hmacsha1 or hmacsha256."
        ))),
    }
}

fn create_device(ctx: &Ctx<'_>) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    body::only(
        &b,
        &[
            "serialNumber",
            "manufacturer",
            "model",
            "secretKey",
            "timeIntervalInSeconds",
            "hashFunction",
            "displayName",
            "assignTo",
        ],
        "hardwareOathTokenAuthenticationMethodDevice",
    )?;
    let serial = body::required_string(&b, "serialNumber")?
        .trim()
        .to_string();
    let manufacturer = body::required_string(&b, "manufacturer")?.to_string();
    let model = body::required_string(&b, "model")?.to_string();
    let secret = decode_secret(body::required_string(&b, "secretKey")?)?;
    let step = match b.get("timeIntervalInSeconds").and_then(Value::as_u64) {
        Some(s @ (30 | 60)) => s as u32,
        _ => {
            return Err(ApiError::bad_request(
                "timeIntervalInSeconds is required and must be 30 or 60.",
            ));
        }
    };
    let hash = hash_function(&b)?;
    let display_name = body::string(&b, "displayName")?.map(str::to_string);
    let assign_key = match b.get("assignTo") {
        None | Some(Value::Null) => None,
        Some(Value::Object(a)) => Some(body::required_string(a, "id")?.to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "assignTo must be an object: { \"id\": \"<user id>\" }.",
            ));
        }
    };
    if assign_key.is_some() {
        // Creating and assigning at once also needs the user-methods permission.
        require_methods(ctx, Some("HardwareOATH"), true)?;
    }
    let mut t = ctx.state.write_tenant();
    let assign_to = assign_key
        .as_deref()
        .map(|k| find_user(&t, k))
        .transpose()?;
    let slot = t.create_device(NewDevice {
        serial: serial.clone(),
        manufacturer,
        model,
        display_name,
        secret,
        step,
        hash,
        hotp_counter: None,
        assign_to,
    })?;
    ctx.record(
        &mut t,
        assign_to,
        WriteOp::CreateHardwareDevice {
            serial,
            assigned: assign_to.is_some(),
        },
    );
    let d = t
        .device_at(slot)
        .ok_or_else(|| ApiError::bad_request("device vanished"))?;
    let body = device_json(&t, d);
    Ok(Reply::created(ctx.entity(
        "directory/authenticationMethodDevices/hardwareOathDevices/$entity",
        body,
    ))
    .wrote())
}

fn verification_code(b: &Map<String, Value>) -> ApiResult<&str> {
    body::required_string(b, "verificationCode")
}

/// The device an assign body names: `{ "device": { "id": … } }` (the documented example
/// form, graph-api.md §13.6).
fn device_ref(t: &Tenant, b: &Map<String, Value>) -> ApiResult<usize> {
    let id = match b.get("device") {
        Some(Value::Object(d)) => body::required_string(d, "id")?,
        _ => {
            return Err(ApiError::bad_request(
                "The body must name the token as { \"device\": { \"id\": \"<device id>\" } }.",
            ));
        }
    };
    parse_oid(id)
        .and_then(|o| t.device_by_id(o))
        .ok_or_else(|| ApiError::no_object(id))
}

/// `/users/{id}/authentication/hardwareOathMethods…`
pub(super) fn user_methods(ctx: &Ctx<'_>, key: &str, rest: &[&str]) -> ApiResult<Reply> {
    refuse_outside_global(ctx, "hardwareOathMethods")?;
    let write = ctx.method != Method::GET;
    require_methods(ctx, Some("HardwareOATH"), write)?;
    let now = unix_now();
    match rest {
        [] => match ctx.method {
            Method::GET => {
                ctx.query.allow(&["$select", "$top", "$filter"])?;
                let top = ctx.query.top(100, 999)?;
                if let Some(f) = &ctx.query.filter {
                    f.check("HardwareOathAuthenticationMethod", &|p: &str| {
                        (p == "id").then_some(Filterable::Default)
                    })?;
                }
                let t = ctx.state.read_tenant();
                let u = find_user(&t, key)?;
                let user = &t.users[u as usize];
                let items: Vec<Value> = user
                    .hardware
                    .iter()
                    .filter_map(|&id| t.device_by_id(id).and_then(|s| t.device_at(s)))
                    .filter(|d| {
                        ctx.query.filter.as_ref().is_none_or(|f| {
                            let id = fmt_oid(d.id);
                            f.eval(&|_p: &str| PropVal::Str(id.as_str()))
                        })
                    })
                    .take(top)
                    .map(|d| select(method_json(&t, d), ctx.query.select.as_deref()))
                    .collect();
                Ok(ctx.collection(
                    &format!(
                        "users('{}')/authentication/hardwareOathMethods",
                        fmt_oid(user.id)
                    ),
                    items,
                    None,
                    None,
                ))
            }
            Method::POST => {
                let b = ctx.json_body()?;
                body::only(&b, &["device"], "hardwareOathAuthenticationMethod")?;
                let mut t = ctx.state.write_tenant();
                let u = find_user(&t, key)?;
                let slot = device_ref(&t, &b)?;
                t.assign_device(u, slot)?;
                let d = t
                    .device_at(slot)
                    .ok_or_else(|| ApiError::bad_request("device vanished"))?;
                let serial = d.serial.clone();
                let body = method_json(&t, d);
                let user_id = fmt_oid(t.users[u as usize].id);
                ctx.record(&mut t, Some(u), WriteOp::AssignHardwareToken { serial });
                Ok(Reply::created(ctx.entity(
                    &format!("users('{user_id}')/authentication/hardwareOathMethods/$entity"),
                    body,
                ))
                .wrote())
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        ["assignAndActivate"] => {
            if ctx.method != Method::POST {
                return Err(ApiError::method_not_allowed());
            }
            let b = ctx.json_body()?;
            body::only(
                &b,
                &["device", "verificationCode", "displayName"],
                "hardwareOathAuthenticationMethod",
            )?;
            let code = verification_code(&b)?;
            let dn = body::string(&b, "displayName")?.map(str::to_string);
            let mut t = ctx.state.write_tenant();
            let u = find_user(&t, key)?;
            let slot = device_ref(&t, &b)?;
            t.assign_and_activate(u, slot, code, dn, now)?;
            let serial = t
                .device_at(slot)
                .map(|d| d.serial.clone())
                .unwrap_or_default();
            ctx.record(
                &mut t,
                Some(u),
                WriteOp::AssignAndActivateHardwareToken { serial },
            );
            Ok(Reply::no_content().wrote())
        }
        ["assignAndActivateBySerialNumber"] => {
            if ctx.method != Method::POST {
                return Err(ApiError::method_not_allowed());
            }
            let b = ctx.json_body()?;
            body::only(
                &b,
                &["serialNumber", "verificationCode", "displayName"],
                "hardwareOathAuthenticationMethod",
            )?;
            let code = verification_code(&b)?;
            let serial = body::required_string(&b, "serialNumber")?;
            let dn = body::string(&b, "displayName")?.map(str::to_string);
            let mut t = ctx.state.write_tenant();
            let u = find_user(&t, key)?;
            let slot = t.device_by_serial(serial.trim()).ok_or_else(|| {
                ApiError::new(
                    404,
                    "itemNotFound",
                    format!(
                        "No hardware token with serial number '{serial}' exists in the tenant."
                    ),
                )
            })?;
            t.assign_and_activate(u, slot, code, dn, now)?;
            let serial = t
                .device_at(slot)
                .map(|d| d.serial.clone())
                .unwrap_or_default();
            ctx.record(
                &mut t,
                Some(u),
                WriteOp::AssignAndActivateHardwareToken { serial },
            );
            Ok(Reply::no_content().wrote())
        }
        [id] => {
            let oid = parse_oid(id).ok_or_else(|| no_method(id))?;
            match ctx.method {
                Method::GET => {
                    let t = ctx.state.read_tenant();
                    let u = find_user(&t, key)?;
                    let slot = t.user_device(u, oid)?;
                    let d = t.device_at(slot).ok_or_else(|| no_method(id))?;
                    Ok(Reply::ok(ctx.entity(
                        &format!(
                            "users('{}')/authentication/hardwareOathMethods/$entity",
                            fmt_oid(t.users[u as usize].id)
                        ),
                        select(method_json(&t, d), ctx.query.select.as_deref()),
                    )))
                }
                Method::DELETE => {
                    let mut t = ctx.state.write_tenant();
                    let u = find_user(&t, key)?;
                    let slot = t.user_device(u, oid)?;
                    t.unassign_device(u, slot)?;
                    let serial = t
                        .device_at(slot)
                        .map(|d| d.serial.clone())
                        .unwrap_or_default();
                    ctx.record(&mut t, Some(u), WriteOp::UnassignHardwareToken { serial });
                    Ok(Reply::no_content().wrote())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, action @ ("activate" | "deactivate")] => {
            if ctx.method != Method::POST {
                return Err(ApiError::method_not_allowed());
            }
            let oid = parse_oid(id).ok_or_else(|| no_method(id))?;
            let activate = *action == "activate";
            let b = if activate {
                let b = ctx.json_body()?;
                body::only(
                    &b,
                    &["verificationCode", "displayName"],
                    "hardwareOathAuthenticationMethod",
                )?;
                Some(b)
            } else {
                None
            };
            let mut t = ctx.state.write_tenant();
            let u = find_user(&t, key)?;
            let slot = t.user_device(u, oid)?;
            let serial = t
                .device_at(slot)
                .map(|d| d.serial.clone())
                .unwrap_or_default();
            match b {
                Some(b) => {
                    let code = verification_code(&b)?;
                    let dn = body::string(&b, "displayName")?.map(str::to_string);
                    t.activate_device(u, slot, code, dn, now)?;
                    ctx.record(&mut t, Some(u), WriteOp::ActivateHardwareToken { serial });
                }
                None => {
                    t.deactivate_device(u, slot)?;
                    ctx.record(&mut t, Some(u), WriteOp::DeactivateHardwareToken { serial });
                }
            }
            Ok(Reply::no_content().wrote())
        }
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }
}
