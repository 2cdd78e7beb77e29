//! Sign-in: every `--auth` kind yields a [`TokenSource`] the Graph client draws tokens
//! from, and the [`Identity`] the front ends show (tenant, account, token kind, roles,
//! permissions, expiry — read from the token's claims, never the token).
//!
//! - `device-code`: delegated, the admin signs in in a browser elsewhere (SSH-friendly);
//!   required for Staged Rollout, which refuses app-only tokens.
//! - `certificate`: the app's certificate (PEM or PFX), as MFA Server's migration
//!   utility registers; the assertion is signed here, no OpenSSL.
//! - `secret`: client secret from `MFA_CUTOVER_CLIENT_SECRET`.
//! - `azure-cli`: the account signed in to `az`.
//! - `managed-identity`: on an Azure VM or App Service.
//! - `token`: a bearer token from `MFA_CUTOVER_ACCESS_TOKEN`.
//!
//! Tokens never reach logs: they live in `SecretString`s and are exposed only to the
//! `Authorization` header.

pub mod azure;
pub mod certificate;
pub mod claims;
pub mod device_code;
pub mod scopes;
pub mod token;

use std::path::PathBuf;
use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use secrecy::SecretString;
use url::Url;

pub use claims::Claims;
pub use device_code::{DeviceCodeFlow, DeviceCodePrompt, DeviceCodeSource, PromptFn, TokenSet};
pub use scopes::{Capability, CapabilitySet, RefusedCapability, ScopeRefusal, scopes_for};
pub use token::{AccessToken, StaticToken, TokenSource};

use super::identity::{Identity, TokenKind};
use super::root::{GraphRoot, check_service_url};
use crate::cloud::Cloud;
use crate::config::{AuthKind, Config};

/// Environment variable holding the client secret of `--auth secret`.
pub const CLIENT_SECRET_ENV: &str = "MFA_CUTOVER_CLIENT_SECRET";

/// The public client used for device-code sign-in when no `--client-id` is given:
/// Microsoft Graph Command Line Tools, which any tenant can consent to. Organisations
/// that register their own public client pass its id instead.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Why no token could be had. Messages say what to do and never quote a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// Missing or wrong configuration (client id, tenant, files, environment).
    #[error("{0}")]
    Config(String),
    /// A problem with the certificate file.
    #[error("{0}")]
    Certificate(String),
    /// Entra refused (bad client, bad secret, consent missing, …).
    #[error("sign-in refused: {0}")]
    Refused(String),
    #[error("sign-in declined: {0}")]
    Declined(String),
    #[error("the sign-in code expired before it was used: start again")]
    CodeExpired,
    /// A token ran out and cannot be renewed.
    #[error("{0}")]
    Expired(String),
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
    /// Entra refused a requested scope (AADSTS70011, 650053 or 65001).
    #[error("sign-in refused: {detail}")]
    ScopeRefused {
        reason: ScopeRefusal,
        detail: String,
    },
}

/// Everything a sign-in needs.
#[derive(Clone)]
pub struct SignInOptions {
    pub kind: AuthKind,
    pub cloud: Cloud,
    pub graph_root: GraphRoot,
    /// Tenant id or primary domain.
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    /// Sign-in authority. Default: the cloud's login host, or the Graph root itself when
    /// that is on loopback (the simulated tenant serves both).
    pub authority: Option<Url>,
    /// Shows the device code to the admin (required for `device-code`).
    pub prompt: Option<PromptFn>,
    /// What the command needs; the first is required, the others are dropped (and said
    /// so in [`Session::refused`]) when Entra refuses their scopes.
    pub capabilities: CapabilitySet,
}

impl std::fmt::Debug for SignInOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInOptions")
            .field("kind", &self.kind)
            .field("cloud", &self.cloud)
            .field("graph_root", &self.graph_root.as_str())
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl SignInOptions {
    /// From the resolved configuration; `default_kind` applies when none is configured.
    pub fn from_config(
        config: &Config,
        default_kind: AuthKind,
    ) -> Result<SignInOptions, AuthError> {
        let graph_root = GraphRoot::resolve(config.cloud, config.graph_url.as_deref())
            .map_err(|e| AuthError::Config(e.to_string()))?;
        Ok(SignInOptions {
            kind: config.auth.unwrap_or(default_kind),
            cloud: config.cloud,
            graph_root,
            tenant: config.tenant.clone(),
            client_id: config.client_id.clone(),
            certificate: config.certificate.clone(),
            authority: None,
            prompt: None,
            // Migration: methods and directory reads. Staged Rollout and federation are
            // asked for when used (`Session::add_capability`).
            capabilities: CapabilitySet::only(Capability::Migration),
        })
    }

    /// The authority URL actually used.
    pub fn authority(&self) -> Result<Url, AuthError> {
        if let Some(a) = &self.authority {
            return check_service_url("sign-in authority", a.as_str())
                .map_err(|e| AuthError::Config(e.to_string()));
        }
        let text = if self.graph_root.is_loopback() {
            self.graph_root.as_str()
        } else {
            self.cloud.login_host()
        };
        check_service_url("sign-in authority", text).map_err(|e| AuthError::Config(e.to_string()))
    }

    fn require_tenant(&self) -> Result<String, AuthError> {
        self.tenant
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                AuthError::Config(format!(
                    "--auth {} needs the tenant: --tenant ID (or `tenant` in the config file)",
                    self.kind.name()
                ))
            })
    }

    fn require_client_id(&self) -> Result<String, AuthError> {
        self.client_id
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                AuthError::Config(format!(
                    "--auth {} needs the application (client) id: --client-id ID (or \
                     `[auth] client_id` in the config file)",
                    self.kind.name()
                ))
            })
    }

    /// Credentials of azure_identity reach the real Entra only; a loopback Graph is the
    /// simulated tenant, whose tokens come from device code or a bearer token.
    fn refuse_loopback(&self) -> Result<(), AuthError> {
        if self.graph_root.is_loopback() {
            return Err(AuthError::Config(format!(
                "--auth {} signs in to Microsoft Entra, but --graph-url {} is the simulated \
                 tenant: use --auth token (MFA_CUTOVER_ACCESS_TOKEN) or --auth device-code",
                self.kind.name(),
                self.graph_root
            )));
        }
        Ok(())
    }
}

/// A signed-in session.
#[derive(Clone)]
pub struct Session {
    pub tokens: Arc<dyn TokenSource>,
    pub identity: Identity,
    pub kind: AuthKind,
    /// What the token allows, of what was asked for (read from its permissions when it
    /// names them).
    pub capabilities: CapabilitySet,
    /// Capabilities asked for that the sign-in could not get, and why.
    pub refused: Vec<RefusedCapability>,
    cloud: Cloud,
    simulated: bool,
    /// The device-code source, for incremental consent.
    device: Option<Arc<DeviceCodeSource>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("identity", &self.identity)
            .field("kind", &self.kind)
            .field("capabilities", &self.capabilities)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over an existing token source (tests, the demo).
    pub async fn from_source(
        tokens: Arc<dyn TokenSource>,
        kind: AuthKind,
        cloud: Cloud,
        simulated: bool,
    ) -> Result<Session, AuthError> {
        let first = tokens.token().await?;
        let identity = identity_of(&first, kind, cloud, simulated);
        let mut session = Session {
            tokens,
            identity,
            kind,
            capabilities: CapabilitySet::EMPTY,
            refused: Vec::new(),
            cloud,
            simulated,
            device: None,
        };
        session.settle(CapabilitySet::ALL);
        Ok(session)
    }

    /// Decide which of `asked` the token allows; record the others as refused (unless
    /// already recorded). A token that names no permissions is taken at its word.
    fn settle(&mut self, asked: CapabilitySet) {
        let perms = &self.identity.permissions;
        let app_only = self.identity.kind == TokenKind::AppOnly;
        let mut granted = CapabilitySet::EMPTY;
        for c in asked.iter() {
            let reason = if c.delegated_only() && app_only {
                Some(ScopeRefusal::AppOnly)
            } else if !perms.is_empty() && !c.granted_by(perms) {
                Some(ScopeRefusal::NotGranted)
            } else {
                None
            };
            match reason {
                None => granted = granted.with(c),
                Some(reason) => {
                    if !self.refused.iter().any(|r| r.capability == c) {
                        self.refused.push(RefusedCapability {
                            capability: c,
                            reason,
                            scopes: c.scopes().iter().map(|s| s.to_string()).collect(),
                            detail: None,
                        });
                    }
                }
            }
        }
        self.capabilities = granted;
    }

    /// Findings for what the sign-in could not get: the same words for the header, the
    /// plan and the preflight.
    pub fn findings(&self) -> Vec<crate::finding::Finding> {
        self.refused
            .iter()
            .map(RefusedCapability::finding)
            .collect()
    }

    /// Incremental consent: ask for `capability` on top of what the session holds. A
    /// device-code session asks Entra (refresh token first, a new code when consent is
    /// needed; `prompt` shows it). Other kinds cannot ask for more: their token is read.
    /// `Ok(None)` when it is granted, `Ok(Some(refusal))` when not — the session goes on
    /// as it was either way.
    pub async fn add_capability(
        &mut self,
        capability: Capability,
        prompt: &PromptFn,
    ) -> Result<Option<RefusedCapability>, AuthError> {
        if self.capabilities.contains(capability) {
            return Ok(None);
        }
        let wanted = self.capabilities.with(capability);
        if let Some(device) = self.device.clone() {
            match device.widen(&scopes_for(wanted, self.cloud), prompt).await {
                Ok(()) => {
                    self.identity = self.current_identity().await?;
                    self.refused.retain(|r| r.capability != capability);
                }
                Err(AuthError::ScopeRefused { reason, detail }) => {
                    let refusal = RefusedCapability {
                        capability,
                        reason,
                        scopes: capability.scopes().iter().map(|s| s.to_string()).collect(),
                        detail: Some(detail),
                    };
                    self.refused.retain(|r| r.capability != capability);
                    self.refused.push(refusal.clone());
                    return Ok(Some(refusal));
                }
                Err(e) => return Err(e),
            }
        }
        self.settle(wanted);
        Ok(self
            .refused
            .iter()
            .find(|r| r.capability == capability)
            .cloned())
    }

    /// Re-read the identity from the current token (after a refresh: new expiry).
    pub async fn current_identity(&self) -> Result<Identity, AuthError> {
        let token = self.tokens.token().await?;
        let mut id = identity_of(&token, self.kind, self.cloud, self.simulated);
        id.tenant_name = self.identity.tenant_name.clone();
        Ok(id)
    }
}

fn identity_of(token: &AccessToken, kind: AuthKind, cloud: Cloud, simulated: bool) -> Identity {
    match Claims::decode(token.expose()) {
        Some(claims) => {
            let mut id = claims.identity(cloud, simulated);
            if id.expires_at.is_none() {
                id.expires_at = token.expires_at;
            }
            id
        }
        None => Identity {
            tenant_id: String::new(),
            tenant_name: None,
            cloud,
            account: "(the token does not name its account)".to_string(),
            kind: match kind {
                AuthKind::DeviceCode | AuthKind::AzureCli | AuthKind::Token => TokenKind::Delegated,
                _ => TokenKind::AppOnly,
            },
            roles: Vec::new(),
            permissions: Vec::new(),
            expires_at: token.expires_at,
            simulated,
        },
    }
}

/// Every delegated scope any capability asks for, on `cloud`'s Graph, plus
/// `offline_access` for the refresh token.
pub fn delegated_scopes(cloud: Cloud) -> Vec<String> {
    scopes_for(CapabilitySet::ALL, cloud)
}

/// Device-code sign-in asking for `asked` by name; a refused scope costs its capability
/// (never the required one) and the admin is asked again without it.
async fn device_code_by_capability(
    authority: &Url,
    tenant: &str,
    client_id: &str,
    cloud: Cloud,
    mut asked: CapabilitySet,
    prompt: &PromptFn,
) -> Result<(DeviceCodeFlow, TokenSet, Vec<RefusedCapability>), AuthError> {
    let mut refused = Vec::new();
    loop {
        let flow = DeviceCodeFlow::new(authority, tenant, client_id, &scopes_for(asked, cloud))?;
        match flow.sign_in(prompt).await {
            Ok(tokens) => return Ok((flow, tokens, refused)),
            Err(AuthError::ScopeRefused { reason, detail }) => {
                let named = scopes::named_scopes(asked, &detail);
                let drop = scopes::capabilities_to_drop(asked, &named);
                if drop.is_empty() {
                    return Err(AuthError::ScopeRefused { reason, detail });
                }
                for c in drop {
                    tracing::warn!(capability = %c, ?reason, "a scope was refused; signing in without it");
                    let own: Vec<String> = named.iter().filter(|s| c.owns(s)).cloned().collect();
                    refused.push(RefusedCapability {
                        capability: c,
                        reason,
                        scopes: if own.is_empty() {
                            c.scopes().iter().map(|s| s.to_string()).collect()
                        } else {
                            own
                        },
                        detail: Some(detail.clone()),
                    });
                    asked = asked.without(c);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sign in as configured. Device code shows its prompt through `opts.prompt` and
/// waits for the admin.
pub async fn sign_in(opts: SignInOptions) -> Result<Session, AuthError> {
    let simulated = opts.graph_root.is_loopback();
    let scope = opts.cloud.graph_scope();
    let mut device: Option<(Arc<DeviceCodeSource>, Vec<RefusedCapability>)> = None;
    let tokens: Arc<dyn TokenSource> = match opts.kind {
        AuthKind::Token => Arc::new(StaticToken::from_env()?),
        AuthKind::DeviceCode => {
            let prompt = opts.prompt.clone().ok_or_else(|| {
                AuthError::Config(
                    "device-code sign-in needs a terminal to show the code on".to_string(),
                )
            })?;
            let authority = opts.authority()?;
            let tenant = opts
                .tenant
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "organizations".to_string());
            // The organisation's own app carries its consented permissions: ask for them
            // all (`.default`) and read the capabilities from the token. The shared public
            // client asks for each capability's scopes by name.
            let (flow, tokens, refused) =
                match opts.client_id.clone().filter(|c| !c.trim().is_empty()) {
                    Some(own) => {
                        let scopes = [opts.cloud.graph_scope(), "offline_access".to_string()];
                        let flow = DeviceCodeFlow::new(&authority, &tenant, &own, &scopes)?;
                        let tokens = flow.sign_in(&prompt).await?;
                        (flow, tokens, Vec::new())
                    }
                    None => {
                        device_code_by_capability(
                            &authority,
                            &tenant,
                            DEFAULT_PUBLIC_CLIENT_ID,
                            opts.cloud,
                            opts.capabilities,
                            &prompt,
                        )
                        .await?
                    }
                };
            let source = Arc::new(DeviceCodeSource::new(flow, tokens));
            device = Some((source.clone(), refused));
            source
        }
        AuthKind::Secret => {
            opts.refuse_loopback()?;
            let tenant = opts.require_tenant()?;
            let client_id = opts.require_client_id()?;
            let secret = std::env::var(CLIENT_SECRET_ENV)
                .ok()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    AuthError::Config(format!(
                        "--auth secret reads the client secret from {CLIENT_SECRET_ENV}, which \
                         is not set (secrets are never read from the config file)"
                    ))
                })?;
            let credential = azure_identity::ClientSecretCredential::new(
                &tenant,
                client_id,
                Secret::new(secret),
                Some(azure_identity::ClientSecretCredentialOptions {
                    client_options: azure::client_options(opts.cloud),
                }),
            )
            .map_err(|e| azure::credential_error("client secret", e))?;
            Arc::new(azure::CredentialSource::new(
                credential as Arc<dyn TokenCredential>,
                scope,
                "client secret",
            ))
        }
        AuthKind::Certificate => {
            opts.refuse_loopback()?;
            let tenant = opts.require_tenant()?;
            let client_id = opts.require_client_id()?;
            let path = opts.certificate.clone().ok_or_else(|| {
                AuthError::Config(
                    "--auth certificate needs the certificate: --certificate FILE (PEM with \
                     certificate and key, or PFX)"
                        .to_string(),
                )
            })?;
            let password = std::env::var(certificate::PASSWORD_ENV)
                .ok()
                .map(SecretString::from);
            let cert = certificate::ClientCertificate::load(&path, password.as_ref())?;
            let audience = format!("{}/{tenant}/oauth2/v2.0/token", opts.cloud.login_host());
            let assertion = certificate::CertificateAssertion {
                certificate: cert,
                client_id: client_id.clone(),
                audience,
            };
            let credential = azure_identity::ClientAssertionCredential::new(
                tenant,
                client_id,
                assertion,
                Some(azure_identity::ClientAssertionCredentialOptions {
                    client_options: azure::client_options(opts.cloud),
                }),
            )
            .map_err(|e| azure::credential_error("client certificate", e))?;
            Arc::new(azure::CredentialSource::new(
                credential as Arc<dyn TokenCredential>,
                scope,
                "client certificate",
            ))
        }
        AuthKind::AzureCli => {
            opts.refuse_loopback()?;
            let credential = azure_identity::AzureCliCredential::new(Some(
                azure_identity::AzureCliCredentialOptions {
                    tenant_id: opts.tenant.clone().filter(|t| !t.trim().is_empty()),
                    ..Default::default()
                },
            ))
            .map_err(|e| azure::credential_error("Azure CLI", e))?;
            Arc::new(azure::CredentialSource::new(
                credential as Arc<dyn TokenCredential>,
                scope,
                "Azure CLI",
            ))
        }
        AuthKind::ManagedIdentity => {
            opts.refuse_loopback()?;
            let credential = azure_identity::ManagedIdentityCredential::new(Some(
                azure_identity::ManagedIdentityCredentialOptions {
                    user_assigned_id: opts
                        .client_id
                        .clone()
                        .map(azure_identity::UserAssignedId::ClientId),
                    client_options: azure::client_options(opts.cloud),
                },
            ))
            .map_err(|e| azure::credential_error("managed identity", e))?;
            Arc::new(azure::CredentialSource::new(
                credential as Arc<dyn TokenCredential>,
                scope,
                "managed identity",
            ))
        }
    };
    let mut session = Session::from_source(tokens, opts.kind, opts.cloud, simulated).await?;
    session.capabilities = CapabilitySet::EMPTY;
    session.refused.clear();
    if let Some((source, refused)) = device {
        session.device = Some(source);
        session.refused = refused;
    }
    let asked = session
        .refused
        .iter()
        .fold(opts.capabilities, |set, r| set.without(r.capability));
    session.settle(asked);
    Ok(session)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn opts(kind: AuthKind, root: &str) -> SignInOptions {
        SignInOptions {
            kind,
            cloud: Cloud::Global,
            graph_root: GraphRoot::parse(root).unwrap(),
            tenant: None,
            client_id: None,
            certificate: None,
            authority: None,
            prompt: None,
            capabilities: CapabilitySet::only(Capability::Migration),
        }
    }

    #[test]
    fn authority_follows_cloud_or_loopback_graph() {
        let o = opts(AuthKind::DeviceCode, "https://graph.microsoft.com");
        assert_eq!(
            o.authority().unwrap().as_str(),
            "https://login.microsoftonline.com/"
        );
        let mut us = o.clone();
        us.cloud = Cloud::China;
        assert_eq!(
            us.authority().unwrap().as_str(),
            "https://login.chinacloudapi.cn/"
        );
        let sim = opts(AuthKind::DeviceCode, "http://127.0.0.1:4567");
        assert_eq!(sim.authority().unwrap().as_str(), "http://127.0.0.1:4567/");
        let mut bad = sim.clone();
        bad.authority = Url::parse("http://login.example.com").ok();
        assert!(matches!(bad.authority(), Err(AuthError::Config(_))));
    }

    #[tokio::test]
    async fn app_credentials_refuse_the_simulated_tenant_and_missing_settings() {
        for kind in [
            AuthKind::Secret,
            AuthKind::Certificate,
            AuthKind::AzureCli,
            AuthKind::ManagedIdentity,
        ] {
            let err = sign_in(opts(kind, "http://127.0.0.1:1")).await.err();
            assert!(
                matches!(&err, Some(AuthError::Config(m)) if m.contains("simulated tenant")),
                "{kind:?}: {err:?}"
            );
        }
        let err = sign_in(opts(AuthKind::Certificate, "https://graph.microsoft.com"))
            .await
            .err();
        assert!(
            matches!(&err, Some(AuthError::Config(m)) if m.contains("--tenant")),
            "{err:?}"
        );
        let err = sign_in(opts(AuthKind::DeviceCode, "https://graph.microsoft.com"))
            .await
            .err();
        assert!(matches!(err, Some(AuthError::Config(_))));
    }

    #[test]
    fn scopes_name_the_cloud() {
        let s = delegated_scopes(Cloud::Usgov);
        assert!(s.contains(&"https://graph.microsoft.us/User.Read.All".to_string()));
        assert!(s.contains(&"offline_access".to_string()));
    }

    #[tokio::test]
    async fn certificate_credential_from_pem_reaches_for_a_token() {
        // Loading and wiring only; the token request itself needs a real tenant.
        let dir = std::env::temp_dir();
        let missing = dir.join(format!("mfa-cutover-missing-{}.pem", uuid::Uuid::new_v4()));
        let mut o = opts(AuthKind::Certificate, "https://graph.microsoft.com");
        o.tenant = Some("contoso.onmicrosoft.com".into());
        o.client_id = Some("00000000-0000-0000-0000-000000000001".into());
        o.certificate = Some(missing);
        let err = sign_in(o).await.err();
        assert!(
            matches!(&err, Some(AuthError::Certificate(m)) if m.contains("cannot read")),
            "{err:?}"
        );
    }
}
