//! The tenant's authentication methods policy (graph-api.md §4.10): which methods are
//! enabled, for whom. Read from beta, where the hardware OATH configuration exists.

use super::super::client::GraphClient;
use super::super::error::GraphError;
use super::super::model::MethodsPolicy;
use super::super::root::ApiVersion;
use super::POLICY_READ;

impl GraphClient {
    pub async fn get_methods_policy(&self) -> Result<MethodsPolicy, GraphError> {
        self.get_json(
            ApiVersion::Beta,
            "/policies/authenticationMethodsPolicy".to_string(),
            POLICY_READ,
        )
        .await
    }
}
