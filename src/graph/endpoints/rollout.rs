//! Staged Rollout policies (graph-api.md §5): list, get, create, update, delete, and
//! groups added to or removed from `appliesTo`. Delegated sign-in only, and not in the
//! China cloud (`Cloud::has_staged_rollout`). A 403 names what to grant: creating a policy
//! lists `Directory.ReadWrite.All` as least privileged, adding a group
//! `Policy.ReadWrite.HybridAuthentication` (each names the other as higher). Every call
//! sends `Prefer: include-unknown-enum-members` so `multiFactorAuthentication` reads
//! back as itself rather than `unknownFutureValue`.

use reqwest::Method;

use super::super::client::{Body, GraphClient, Request};
use super::super::error::GraphError;
use super::super::model::{NewRolloutPolicy, RolloutPolicy, RolloutPolicyPatch};
use super::super::paging::Pager;
use super::super::root::{ApiVersion, encode_segment};
use super::{ROLLOUT_CREATE, ROLLOUT_READ, ROLLOUT_WRITE};

const POLICIES: &str = "/policies/featureRolloutPolicies";

/// Graph's limit of groups per rollout feature (R2).
pub const MAX_ROLLOUT_GROUPS: usize = 10;

fn policy_path(id: &str) -> String {
    format!("{POLICIES}/{}", encode_segment(id))
}

fn encode_err(method: &str, path: &str, e: serde_json::Error) -> GraphError {
    GraphError::refused(method, path, format!("cannot encode the request body: {e}"))
}

impl GraphClient {
    /// Every rollout policy with its groups.
    pub async fn list_rollout_policies(&self) -> Result<Vec<RolloutPolicy>, GraphError> {
        Pager::new(
            self,
            ApiVersion::V1,
            format!("{POLICIES}?$expand=appliesTo"),
            ROLLOUT_READ,
        )
        .prefer_unknown_enums()
        .collect_all()
        .await
    }

    /// The policy for `multiFactorAuthentication`, if the tenant has one.
    pub async fn find_mfa_rollout_policy(&self) -> Result<Option<RolloutPolicy>, GraphError> {
        Ok(self
            .list_rollout_policies()
            .await?
            .into_iter()
            .find(RolloutPolicy::is_mfa))
    }

    /// One policy with its groups; `None` when it does not exist.
    pub async fn get_rollout_policy(&self, id: &str) -> Result<Option<RolloutPolicy>, GraphError> {
        let req = Request::new(
            Method::GET,
            ApiVersion::V1,
            format!("{}?$expand=appliesTo", policy_path(id)),
        )
        .access(ROLLOUT_READ)
        .prefer_unknown_enums();
        match self.send_json(req).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Create a policy (201).
    pub async fn create_rollout_policy(
        &self,
        policy: &NewRolloutPolicy,
    ) -> Result<RolloutPolicy, GraphError> {
        let body = Body::json(policy).map_err(|e| encode_err("POST", POLICIES, e))?;
        let req = Request::new(Method::POST, ApiVersion::V1, POLICIES.to_string())
            .access(ROLLOUT_CREATE)
            .prefer_unknown_enums()
            .body(body);
        self.send_json(req).await
    }

    /// Change name, description, enabled state or organisation-wide scope (204).
    pub async fn update_rollout_policy(
        &self,
        id: &str,
        patch: &RolloutPolicyPatch,
    ) -> Result<(), GraphError> {
        let path = policy_path(id);
        let body = Body::json(patch).map_err(|e| encode_err("PATCH", &path, e))?;
        let req = Request::new(Method::PATCH, ApiVersion::V1, path)
            .access(ROLLOUT_WRITE)
            .prefer_unknown_enums()
            .body(body);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Delete a policy (204).
    pub async fn delete_rollout_policy(&self, id: &str) -> Result<(), GraphError> {
        let req = Request::new(Method::DELETE, ApiVersion::V1, policy_path(id))
            .access(ROLLOUT_WRITE)
            .prefer_unknown_enums();
        self.send_no_content(req).await.map(|_| ())
    }

    /// Add a group to the policy (`appliesTo/$ref`, 201/204).
    pub async fn add_rollout_group(
        &self,
        policy_id: &str,
        group_id: &str,
    ) -> Result<(), GraphError> {
        let path = format!("{}/appliesTo/$ref", policy_path(policy_id));
        let reference = self.root().directory_object_ref(ApiVersion::V1, group_id);
        let body = Body::json(&serde_json::json!({ "@odata.id": reference }))
            .map_err(|e| encode_err("POST", &path, e))?;
        let req = Request::new(Method::POST, ApiVersion::V1, path)
            .access(ROLLOUT_WRITE)
            .prefer_unknown_enums()
            .body(body);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Remove a group from the policy (204).
    pub async fn remove_rollout_group(
        &self,
        policy_id: &str,
        group_id: &str,
    ) -> Result<(), GraphError> {
        let path = format!(
            "{}/appliesTo/{}/$ref",
            policy_path(policy_id),
            encode_segment(group_id)
        );
        let req = Request::new(Method::DELETE, ApiVersion::V1, path)
            .access(ROLLOUT_WRITE)
            .prefer_unknown_enums();
        self.send_no_content(req).await.map(|_| ())
    }
}
