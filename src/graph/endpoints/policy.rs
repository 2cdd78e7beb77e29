//! The tenant's authentication methods policy (graph-api.md §4.10): which methods are
//! enabled, for whom, whether office phones are allowed, and whether the legacy MFA and
//! SSPR policies still count (`policyMigrationState`). Read from beta, where the hardware
//! OATH configuration exists; `policyMigrationState` is an evolvable enum, so the read
//! asks for members past `unknownFutureValue`.

use reqwest::Method;

use super::super::client::{GraphClient, Request};
use super::super::error::GraphError;
use super::super::model::MethodsPolicy;
use super::super::root::ApiVersion;
use super::POLICY_READ;

impl GraphClient {
    pub async fn get_methods_policy(&self) -> Result<MethodsPolicy, GraphError> {
        let req = Request::new(
            Method::GET,
            ApiVersion::Beta,
            "/policies/authenticationMethodsPolicy".to_string(),
        )
        .access(POLICY_READ)
        .prefer_unknown_enums();
        self.send_json(req).await
    }
}
