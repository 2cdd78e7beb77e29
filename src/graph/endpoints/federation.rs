//! Domains and their federation configuration (graph-api.md §6, §14): list domains, read
//! a federated domain's configuration, and set `federatedIdpMfaBehavior`.
//!
//! The configuration's id is found with a GET first (a domain has exactly one). The PATCH
//! answers 204 in the current docs and 200 with the object in older ones: both are
//! accepted (Graph docs, internaldomainfederation-update). `federatedIdpMfaBehavior` is an
//! evolvable enum, so every call here sends `Prefer: include-unknown-enum-members` and a
//! member this build does not know reads back as itself. A 403 on the PATCH names the
//! documented known issue (a delegated call may need `Directory.AccessAsUser.All`).

use reqwest::Method;

use super::super::client::{Body, GraphClient, Request};
use super::super::error::GraphError;
use super::super::model::{Domain, DomainFederation, FederatedIdpMfaBehavior, Page};
use super::super::paging::Pager;
use super::super::root::{ApiVersion, encode_segment};
use super::{DOMAINS_READ, FEDERATION_READ, FEDERATION_WRITE};

fn federation_path(domain: &str) -> String {
    format!(
        "/domains/{}/federationConfiguration",
        encode_segment(domain)
    )
}

/// What a change of `federatedIdpMfaBehavior` did.
#[derive(Debug, Clone, PartialEq)]
pub struct FederationChange {
    /// The configuration's id, as the GET found it.
    pub id: String,
    /// The value before the change (`None`: never set).
    pub before: Option<FederatedIdpMfaBehavior>,
    /// The object Graph sent back (200 with a body, as older docs show); `None` for 204.
    pub answered: Option<DomainFederation>,
}

impl GraphClient {
    /// The tenant's domains.
    pub async fn list_domains(&self) -> Result<Vec<Domain>, GraphError> {
        Pager::new(self, ApiVersion::V1, "/domains".to_string(), DOMAINS_READ)
            .collect_all()
            .await
    }

    /// The federation configuration of `domain`: exactly one for a federated domain;
    /// `None` for a managed one (Graph answers 404) or an empty list.
    pub async fn get_federation(
        &self,
        domain: &str,
    ) -> Result<Option<DomainFederation>, GraphError> {
        let req = Request::new(Method::GET, ApiVersion::V1, federation_path(domain))
            .access(FEDERATION_READ)
            .prefer_unknown_enums();
        match self.send_json::<Page<DomainFederation>>(req).await {
            Ok(page) => Ok(page.value.into_iter().next()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Set `federatedIdpMfaBehavior` on the domain's configuration `federation_id`.
    /// Returns the object when Graph sends it back (older behaviour), else `None`.
    pub async fn set_federated_idp_mfa_behavior(
        &self,
        domain: &str,
        federation_id: &str,
        behavior: &FederatedIdpMfaBehavior,
    ) -> Result<Option<DomainFederation>, GraphError> {
        let path = format!(
            "{}/{}",
            federation_path(domain),
            encode_segment(federation_id)
        );
        let body = Body::json(&serde_json::json!({ "federatedIdpMfaBehavior": behavior }))
            .map_err(|e| GraphError::refused("PATCH", &path, e.to_string()))?;
        let req = Request::new(Method::PATCH, ApiVersion::V1, path)
            .access(FEDERATION_WRITE)
            .prefer_unknown_enums()
            .body(body);
        let answer = self.send_no_content(req).await?;
        Ok(answer.and_then(|v| serde_json::from_value(v).ok()))
    }

    /// Set `federatedIdpMfaBehavior` on `domain`: its configuration's id is read first.
    /// Refused (nothing sent) for a domain without one (a managed domain).
    pub async fn set_domain_mfa_behavior(
        &self,
        domain: &str,
        behavior: &FederatedIdpMfaBehavior,
    ) -> Result<FederationChange, GraphError> {
        let Some(current) = self.get_federation(domain).await? else {
            return Err(GraphError::refused(
                "PATCH",
                &federation_path(domain),
                format!(
                    "{domain} has no federation configuration (a managed domain): there is no \
                     federatedIdpMfaBehavior to set"
                ),
            ));
        };
        let answered = self
            .set_federated_idp_mfa_behavior(domain, &current.id, behavior)
            .await?;
        Ok(FederationChange {
            id: current.id,
            before: current.federated_idp_mfa_behavior,
            answered,
        })
    }
}
