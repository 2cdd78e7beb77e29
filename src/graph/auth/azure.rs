//! App and platform sign-in through azure_identity: client secret, client certificate
//! (an assertion the tool signs, see `certificate.rs`), Azure CLI and managed identity.
//! National clouds pick their authority through the credential options' cloud
//! configuration; the scope names the cloud's own Graph.
//!
//! azure_identity's Azure CLI credential does not cache (every call runs `az`), so the
//! adapter keeps the token until five minutes before it expires, for every credential.

use std::sync::Arc;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;

use super::AuthError;
use super::token::{AccessToken, TokenSource};
use crate::cloud::Cloud;

/// azure_identity's cloud configuration for a national cloud.
pub fn cloud_configuration(cloud: Cloud) -> CloudConfiguration {
    match cloud {
        Cloud::Global => CloudConfiguration::AzurePublic,
        Cloud::Usgov | Cloud::UsgovDod => CloudConfiguration::AzureGovernment,
        Cloud::China => CloudConfiguration::AzureChina,
    }
}

pub(crate) fn client_options(cloud: Cloud) -> ClientOptions {
    ClientOptions {
        cloud: Some(Arc::new(cloud_configuration(cloud))),
        ..Default::default()
    }
}

/// Turns an azure_identity error into a message: the credential's own text, which
/// carries Entra's error code and description (never the secret or the assertion).
pub(crate) fn credential_error(what: &str, e: azure_core::Error) -> AuthError {
    AuthError::Refused(format!("{what}: {e}"))
}

/// A [`TokenSource`] over any azure_identity credential, for one scope.
pub struct CredentialSource {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    what: &'static str,
    cached: tokio::sync::Mutex<Option<AccessToken>>,
}

impl CredentialSource {
    pub fn new(credential: Arc<dyn TokenCredential>, scope: String, what: &'static str) -> Self {
        CredentialSource {
            credential,
            scope,
            what,
            cached: tokio::sync::Mutex::new(None),
        }
    }
}

impl TokenSource for CredentialSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let mut cached = self.cached.lock().await;
            if let Some(t) = cached.as_ref()
                && !t.expires_within(chrono::Duration::minutes(5))
            {
                return Ok(t.clone());
            }
            let token = self
                .credential
                .get_token(&[self.scope.as_str()], None)
                .await
                .map_err(|e| credential_error(self.what, e))?;
            let expires_at = Utc
                .timestamp_opt(token.expires_on.unix_timestamp(), 0)
                .single();
            let fresh = AccessToken::new(token.token.secret().to_string(), expires_at);
            *cached = Some(fresh.clone());
            Ok(fresh)
        })
    }

    fn invalidate(&self) -> bool {
        match self.cached.try_lock() {
            Ok(mut c) => {
                *c = None;
                true
            }
            Err(_) => false,
        }
    }

    fn describe(&self) -> &'static str {
        self.what
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn clouds_map_to_azure_identity_configurations() {
        assert_eq!(
            cloud_configuration(Cloud::Global),
            CloudConfiguration::AzurePublic
        );
        assert_eq!(
            cloud_configuration(Cloud::UsgovDod),
            CloudConfiguration::AzureGovernment
        );
        assert_eq!(
            cloud_configuration(Cloud::China),
            CloudConfiguration::AzureChina
        );
    }
}
