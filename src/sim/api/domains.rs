//! Domains and their federation configuration (graph-api.md §6, §14): `GET /domains`, a
//! federated domain's one `internalDomainFederation` (404 for a managed domain), and the
//! `PATCH` that switches `federatedIdpMfaBehavior`, validated, answering 204 (or, as the
//! older docs show, 200 with the object: `Variants::fed_patch_status`).

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::error::{ApiError, ApiResult};
use super::super::tenant::view::WriteOp;
use super::super::tenant::{Domain, Federation, MfaBehavior, fmt_oid, parse_oid};
use super::super::variants::FedPatchStatus;
use super::{Ctx, Reply, body, select};

const DOMAIN_READ: [&str; 6] = [
    "Domain.Read.All",
    "Domain.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Domain-InternalFederation.Read.All",
    "Domain-InternalFederation.ReadWrite.All",
];
const FEDERATION_READ: [&str; 4] = [
    "Domain-InternalFederation.Read.All",
    "Domain-InternalFederation.ReadWrite.All",
    "Domain.Read.All",
    "Domain.ReadWrite.All",
];
const FEDERATION_WRITE: [&str; 2] = [
    "Domain-InternalFederation.ReadWrite.All",
    "Domain.ReadWrite.All",
];

fn domain_json(d: &Domain) -> Value {
    json!({
        "id": d.name,
        "authenticationType": if d.federation.is_some() { "Federated" } else { "Managed" },
        "isVerified": d.verified,
        "isDefault": d.is_default,
        "isInitial": d.is_initial,
        "isAdminManaged": true,
        "isRoot": true,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"],
        "passwordValidityPeriodInDays": 2147483647,
        "passwordNotificationWindowInDays": 14,
    })
}

fn federation_json(f: &Federation) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.internalDomainFederation",
        "id": fmt_oid(f.id),
        "displayName": f.display_name,
        "issuerUri": f.issuer_uri,
        "metadataExchangeUri": f.metadata_exchange_uri,
        "signingCertificate": f.signing_certificate,
        "nextSigningCertificate": f.next_signing_certificate,
        "passiveSignInUri": f.passive_sign_in_uri,
        "activeSignInUri": f.active_sign_in_uri,
        "signOutUri": f.sign_out_uri,
        "preferredAuthenticationProtocol": f.preferred_authentication_protocol,
        "promptLoginBehavior": f.prompt_login_behavior,
        "isSignedAuthenticationRequestRequired": f.is_signed_authentication_request_required,
        "signingCertificateUpdateStatus": {
            "certificateUpdateResult": "success",
            "lastRunDateTime": "2024-03-01T09:00:00Z",
        },
        "federatedIdpMfaBehavior": f.mfa_behavior.map(MfaBehavior::graph_name),
    })
}

pub(super) fn route(ctx: &Ctx<'_>, rest: &[&str]) -> ApiResult<Reply> {
    match rest {
        [] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&DOMAIN_READ)?;
            ctx.query.allow(&["$select"])?;
            let t = ctx.state.read_tenant();
            let items = t
                .domains
                .iter()
                .map(|d| select(domain_json(d), ctx.query.select.as_deref()))
                .collect();
            Ok(ctx.collection("domains", items, None, None))
        }
        [name] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&DOMAIN_READ)?;
            let t = ctx.state.read_tenant();
            let d = &t.domains[t.domain_index(name)?];
            Ok(Reply::ok(ctx.entity(
                "domains/$entity",
                select(domain_json(d), ctx.query.select.as_deref()),
            )))
        }
        [name, "federationConfiguration"] => {
            if ctx.method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            ctx.require(&FEDERATION_READ)?;
            ctx.query.allow(&[])?;
            let t = ctx.state.read_tenant();
            let d = &t.domains[t.domain_index(name)?];
            let f = d
                .federation
                .as_ref()
                .ok_or_else(|| not_federated(&d.name))?;
            Ok(ctx.collection(
                &format!("domains('{}')/federationConfiguration", d.name),
                vec![federation_json(f)],
                None,
                None,
            ))
        }
        [name, "federationConfiguration", id] => match ctx.method {
            Method::GET => {
                ctx.require(&FEDERATION_READ)?;
                let t = ctx.state.read_tenant();
                let d = &t.domains[t.domain_index(name)?];
                let f = federation_of(d, id)?;
                Ok(Reply::ok(ctx.entity(
                    &format!("domains('{}')/federationConfiguration/$entity", d.name),
                    select(federation_json(f), ctx.query.select.as_deref()),
                )))
            }
            Method::PATCH => {
                ctx.require(&FEDERATION_WRITE)?;
                patch_federation(ctx, name, id)
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        [_, next, ..] => Err(ApiError::no_segment(next)),
    }
}

fn not_federated(name: &str) -> ApiError {
    ApiError::new(
        404,
        "Request_ResourceNotFound",
        format!("The domain '{name}' has no federation configuration: it is a managed domain."),
    )
}

fn federation_of<'a>(d: &'a Domain, id: &str) -> ApiResult<&'a Federation> {
    let f = d
        .federation
        .as_ref()
        .ok_or_else(|| not_federated(&d.name))?;
    if parse_oid(id) != Some(f.id) {
        return Err(ApiError::no_object(id));
    }
    Ok(f)
}

fn one_of(b: &Map<String, Value>, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
    match b.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(v) => Err(ApiError::bad_request(format!(
            "{v} is not a valid value for '{key}': expected one of {}.",
            allowed.join(", ")
        ))),
    }
}

fn patch_federation(ctx: &Ctx<'_>, name: &str, id: &str) -> ApiResult<Reply> {
    let b = ctx.json_body()?;
    let strings = [
        "displayName",
        "issuerUri",
        "metadataExchangeUri",
        "passiveSignInUri",
        "activeSignInUri",
        "signOutUri",
        "signingCertificate",
        "nextSigningCertificate",
    ];
    let mut allowed: Vec<&str> = strings.to_vec();
    allowed.extend([
        "preferredAuthenticationProtocol",
        "promptLoginBehavior",
        "isSignedAuthenticationRequestRequired",
        "federatedIdpMfaBehavior",
    ]);
    body::only(&b, &allowed, "internalDomainFederation")?;
    let behavior = one_of(
        &b,
        "federatedIdpMfaBehavior",
        &[
            "acceptIfMfaDoneByFederatedIdp",
            "enforceMfaByFederatedIdp",
            "rejectMfaByFederatedIdp",
        ],
    )?
    .and_then(|s| MfaBehavior::from_graph(&s));
    let protocol = one_of(&b, "preferredAuthenticationProtocol", &["wsFed", "saml"])?;
    let prompt = one_of(
        &b,
        "promptLoginBehavior",
        &[
            "translateToFreshPasswordAuthentication",
            "nativeSupport",
            "disabled",
        ],
    )?;
    let signed = body::boolean(&b, "isSignedAuthenticationRequestRequired")?;
    let mut texts = Vec::new();
    for k in strings {
        if let Some(v) = body::string(&b, k)? {
            texts.push((k, v.to_string()));
        }
    }
    let mut t = ctx.state.write_tenant();
    let di = t.domain_index(name)?;
    let domain = t.domains[di].name.clone();
    let fed_id = federation_of(&t.domains[di], id)?.id;
    let f = t.domains[di]
        .federation
        .as_mut()
        .filter(|f| f.id == fed_id)
        .ok_or_else(|| ApiError::no_object(id))?;
    if behavior.is_some() {
        f.mfa_behavior = behavior;
    }
    if let Some(p) = protocol {
        f.preferred_authentication_protocol = p;
    }
    if let Some(p) = prompt {
        f.prompt_login_behavior = p;
    }
    if let Some(s) = signed {
        f.is_signed_authentication_request_required = s;
    }
    for (k, v) in texts {
        match k {
            "displayName" => f.display_name = v,
            "issuerUri" => f.issuer_uri = v,
            "metadataExchangeUri" => f.metadata_exchange_uri = v,
            "passiveSignInUri" => f.passive_sign_in_uri = v,
            "activeSignInUri" => f.active_sign_in_uri = v,
            "signOutUri" => f.sign_out_uri = v,
            "signingCertificate" => f.signing_certificate = v,
            _ => f.next_signing_certificate = Some(v),
        }
    }
    ctx.record(
        &mut t,
        None,
        WriteOp::UpdateFederation {
            domain: domain.clone(),
        },
    );
    // The current docs answer 204; older ones 200 with the updated object.
    match ctx.state.variants().fed_patch_status {
        FedPatchStatus::NoContent => Ok(Reply::no_content().wrote()),
        FedPatchStatus::OkWithBody => {
            let f = t.domains[di]
                .federation
                .as_ref()
                .ok_or_else(|| ApiError::no_object(id))?;
            Ok(Reply::ok(ctx.entity(
                &format!("domains('{domain}')/federationConfiguration/$entity"),
                federation_json(f),
            ))
            .wrote())
        }
    }
}
