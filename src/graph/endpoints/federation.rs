//! Domains and their federation configuration (graph-api.md §6, §14): list domains, read
//! a federated domain's configuration, and set `federatedIdpMfaBehavior` (PATCH answers
//! 204, or 200 with the object in older docs: both are accepted).

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
        let page: Option<Page<DomainFederation>> = self
            .get_json_opt(ApiVersion::V1, federation_path(domain), FEDERATION_READ)
            .await?;
        Ok(page.and_then(|p| p.value.into_iter().next()))
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
            .body(body);
        let answer = self.send_no_content(req).await?;
        Ok(answer.and_then(|v| serde_json::from_value(v).ok()))
    }
}
