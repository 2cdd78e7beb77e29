//! A user's authentication methods: phones (list, get, add, update, delete; fixed ids
//! per type), the polymorphic list, Authenticator and software OATH lists, and the beta
//! default method (`signInPreferences`). graph-api.md §4.2–§4.8.
//!
//! Public Graph cannot create Microsoft Authenticator registrations or software OATH
//! tokens: the lists here are read-only on purpose.

use reqwest::Method;

use super::super::batch::BatchItem;
use super::super::client::{Body, GraphClient, Request};
use super::super::error::GraphError;
use super::super::model::{
    AuthMethod, AuthenticatorMethod, HardwareOathMethod, NewPhone, PhoneMethod, SignInPreferences,
    SoftwareOathMethod, UserDefaultMethod, entra_methods,
};
use super::super::paging::Pager;
use super::super::root::{ApiVersion, user_path};
use super::{METHODS_READ, METHODS_WRITE};
use crate::migrate::{EntraMethods, PhoneSlot, PreferredMethod};
use crate::phone::PhoneNumber;

fn phones_path(user: &str) -> String {
    format!("{}/authentication/phoneMethods", user_path(user))
}

fn phone_path(user: &str, slot: PhoneSlot) -> String {
    format!("{}/{}", phones_path(user), slot.method_id())
}

fn encode_err(method: &str, path: &str, e: serde_json::Error) -> GraphError {
    GraphError::refused(method, path, format!("cannot encode the request body: {e}"))
}

impl GraphClient {
    /// The user's phones (at most three, one per type).
    pub async fn list_phone_methods(&self, user: &str) -> Result<Vec<PhoneMethod>, GraphError> {
        Pager::new(self, ApiVersion::V1, phones_path(user), METHODS_READ)
            .collect_all()
            .await
    }

    /// The phone in `slot`, by its fixed id; `None` when the slot is empty.
    pub async fn get_phone_method(
        &self,
        user: &str,
        slot: PhoneSlot,
    ) -> Result<Option<PhoneMethod>, GraphError> {
        self.get_json_opt(ApiVersion::V1, phone_path(user, slot), METHODS_READ)
            .await
    }

    /// Add a phone of type `slot` (201). Refused (400) if the slot is taken, or for
    /// `alternateMobile` without a `mobile`. Not idempotent: on an unknown outcome, read
    /// back before trying again.
    pub async fn add_phone_method(
        &self,
        user: &str,
        slot: PhoneSlot,
        number: &PhoneNumber,
    ) -> Result<PhoneMethod, GraphError> {
        let path = phones_path(user);
        let body = Body::json(&NewPhone {
            phone_number: number.graph(),
            phone_type: slot.graph_name(),
        })
        .map_err(|e| encode_err("POST", &path, e))?;
        let req = Request::new(Method::POST, ApiVersion::V1, path)
            .access(METHODS_WRITE)
            .body(body);
        self.send_json(req).await
    }

    /// Change the number in `slot` (204; `phoneType` is immutable).
    pub async fn update_phone_method(
        &self,
        user: &str,
        slot: PhoneSlot,
        number: &PhoneNumber,
    ) -> Result<(), GraphError> {
        let path = phone_path(user, slot);
        let body = Body::json(&NewPhone {
            phone_number: number.graph(),
            phone_type: slot.graph_name(),
        })
        .map_err(|e| encode_err("PATCH", &path, e))?;
        let req = Request::new(Method::PATCH, ApiVersion::V1, path)
            .access(METHODS_WRITE)
            .body(body);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Remove the phone in `slot` (204). Refused while it is the default method.
    pub async fn delete_phone_method(&self, user: &str, slot: PhoneSlot) -> Result<(), GraphError> {
        let req = Request::new(Method::DELETE, ApiVersion::V1, phone_path(user, slot))
            .access(METHODS_WRITE);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Every method of the user, by type (`authentication/methods`).
    pub async fn list_methods(
        &self,
        user: &str,
        version: ApiVersion,
    ) -> Result<Vec<AuthMethod>, GraphError> {
        let path = format!("{}/authentication/methods", user_path(user));
        Pager::new(self, version, path, METHODS_READ)
            .collect_all()
            .await
    }

    /// Microsoft Authenticator registrations (read-only in Graph).
    pub async fn list_authenticator_methods(
        &self,
        user: &str,
    ) -> Result<Vec<AuthenticatorMethod>, GraphError> {
        let path = format!(
            "{}/authentication/microsoftAuthenticatorMethods",
            user_path(user)
        );
        Pager::new(self, ApiVersion::V1, path, METHODS_READ)
            .collect_all()
            .await
    }

    /// Software OATH tokens (read-only in Graph; secrets are never returned).
    pub async fn list_software_oath_methods(
        &self,
        user: &str,
    ) -> Result<Vec<SoftwareOathMethod>, GraphError> {
        let path = format!("{}/authentication/softwareOathMethods", user_path(user));
        Pager::new(self, ApiVersion::V1, path, METHODS_READ)
            .collect_all()
            .await
    }

    /// The user's default MFA method and system-preferred setting (beta).
    pub async fn get_sign_in_preferences(
        &self,
        user: &str,
    ) -> Result<SignInPreferences, GraphError> {
        let path = format!("{}/authentication/signInPreferences", user_path(user));
        self.get_json(ApiVersion::Beta, path, METHODS_READ).await
    }

    /// Set the user's default MFA method (beta, 204). Refused (400) for a method the
    /// user has not registered: write it after the methods it needs (rule D4).
    pub async fn set_default_method(
        &self,
        user: &str,
        method: PreferredMethod,
    ) -> Result<(), GraphError> {
        let path = format!("{}/authentication/signInPreferences", user_path(user));
        let body = Body::json(&serde_json::json!({
            "userPreferredMethodForSecondaryAuthentication":
                UserDefaultMethod::from_preferred(method).as_str()
        }))
        .map_err(|e| encode_err("PATCH", &path, e))?;
        let req = Request::new(Method::PATCH, ApiVersion::Beta, path)
            .access(METHODS_WRITE)
            .body(body);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Everything the planner needs about one user's methods, in one `$batch` (beta):
    /// the polymorphic list, the hardware tokens (when the cloud has them) and the
    /// sign-in preferences.
    pub async fn read_methods(
        &self,
        user: &str,
        with_hardware: bool,
    ) -> Result<EntraMethods, GraphError> {
        let base = user_path(user);
        let mut items = vec![
            BatchItem::get(format!("{base}/authentication/methods")).with_access(METHODS_READ),
            BatchItem::get(format!("{base}/authentication/signInPreferences"))
                .with_access(METHODS_READ),
        ];
        if with_hardware {
            items.push(
                BatchItem::get(format!("{base}/authentication/hardwareOathMethods"))
                    .with_access(METHODS_READ),
            );
        }
        let mut answers = self.batch(ApiVersion::Beta, items).await.into_iter();
        let decode = |path: &str, status: u16, e: serde_json::Error| {
            GraphError::decode("GET", &format!("/beta{base}{path}"), status, e.to_string())
        };
        let methods = match answers.next() {
            Some(Ok(r)) => {
                r.json::<super::super::model::Page<AuthMethod>>()
                    .map_err(|e| decode("/authentication/methods", r.status, e))?
                    .value
            }
            Some(Err(e)) => return Err(e),
            None => Vec::new(),
        };
        let preferences = match answers.next() {
            Some(Ok(r)) => Some(
                r.json::<SignInPreferences>()
                    .map_err(|e| decode("/authentication/signInPreferences", r.status, e))?,
            ),
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let hardware = match answers.next() {
            Some(Ok(r)) => {
                r.json::<super::super::model::Page<HardwareOathMethod>>()
                    .map_err(|e| decode("/authentication/hardwareOathMethods", r.status, e))?
                    .value
            }
            Some(Err(e)) => return Err(e),
            None => Vec::new(),
        };
        Ok(entra_methods(&methods, &hardware, preferences.as_ref()))
    }
}
