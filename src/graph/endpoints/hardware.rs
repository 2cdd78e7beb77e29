//! Hardware OATH tokens (beta, global cloud only; graph-api.md §4.5): the tenant's
//! inventory (create with the secret, find by serial) and a user's tokens (list, assign,
//! activate, assign-and-activate, unassign) and deleting a device from the inventory.
//!
//! The inventory list is documented in two shapes (the device itself, or a
//! `hardwareOathAuthenticationMethod` with the device under `device`); both are read. A
//! token uploaded through the legacy CSV does not show in the inventory search, only
//! under its user (Entra docs, how-to-mfa-manage-oath-tokens): a create that Entra
//! refuses because the serial exists is reconciled by reading, never reported as is.
//!
//! The create body is the one place an OATH secret leaves the tool: it is built straight
//! from [`OathSecret::expose_base32`] into a zeroised buffer, never logged and never
//! formatted into an error.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretSlice};
use serde::Serialize;

use super::super::client::{Body, GraphClient, Request};
use super::super::error::GraphError;
use super::super::model::{HardwareDevice, HardwareOathMethod, HashFunction, InventoryItem};
use super::super::paging::Pager;
use super::super::root::{ApiVersion, encode_query_value, encode_segment, odata_string, user_path};
use super::{HARDWARE_INVENTORY, METHODS_READ, METHODS_WRITE};
use crate::secret::OathSecret;

const DEVICES: &str = "/directory/authenticationMethodDevices/hardwareOathDevices";

/// A token to add to the inventory.
#[derive(Debug, Clone)]
pub struct NewHardwareToken<'a> {
    pub serial_number: &'a str,
    pub manufacturer: &'a str,
    pub model: &'a str,
    pub secret: &'a OathSecret,
    /// 30 or 60.
    pub time_interval_secs: u32,
    pub hash_function: HashFunction,
    pub display_name: Option<&'a str>,
    /// Object id of a user to assign it to in the same call.
    pub assign_to: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody<'a> {
    serial_number: &'a str,
    manufacturer: &'a str,
    model: &'a str,
    secret_key: &'a str,
    time_interval_in_seconds: u32,
    hash_function: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assign_to: Option<IdRef<'a>>,
}

#[derive(Serialize)]
struct IdRef<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<IdRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<&'a str>,
    verification_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
}

/// Serialise into a buffer that is zeroised on drop (bodies with a secret or a code).
fn sensitive<T: Serialize>(value: &T) -> Result<Body, serde_json::Error> {
    let mut buf = Vec::with_capacity(512);
    serde_json::to_writer(&mut buf, value)?;
    Ok(Body::Sensitive(SecretSlice::from(buf)))
}

fn encode_err(method: &str, path: &str) -> GraphError {
    // The serde error could quote the value; say only what failed.
    GraphError::refused(method, path, "cannot encode the request body")
}

/// `hardwareOathDevices?$filter=serialNumber eq '…'` (under the version root).
pub(crate) fn inventory_filter_path(serial: &str) -> String {
    let filter = format!("serialNumber eq {}", odata_string(serial.trim()));
    format!("{DEVICES}?$filter={}", encode_query_value(&filter))
}

fn user_tokens_path(user: &str) -> String {
    format!("{}/authentication/hardwareOathMethods", user_path(user))
}

impl GraphClient {
    /// Add a token with its secret to the inventory (201; `secretKey` comes back null).
    /// Refused (400) when the serial already exists. Not idempotent: on an unknown
    /// outcome, look the serial up before trying again.
    pub async fn create_hardware_token(
        &self,
        token: &NewHardwareToken<'_>,
    ) -> Result<HardwareDevice, GraphError> {
        let secret = token.secret.expose_base32();
        let body = sensitive(&CreateBody {
            serial_number: token.serial_number,
            manufacturer: token.manufacturer,
            model: token.model,
            secret_key: secret.expose_secret(),
            time_interval_in_seconds: token.time_interval_secs,
            hash_function: token.hash_function.as_str(),
            display_name: token.display_name,
            assign_to: token.assign_to.map(|id| IdRef { id }),
        })
        .map_err(|_| encode_err("POST", DEVICES))?;
        drop(secret);
        let req = Request::new(Method::POST, ApiVersion::Beta, DEVICES.to_string())
            .access(HARDWARE_INVENTORY)
            .body(body);
        self.send_json(req).await
    }

    /// The inventory token with this serial number, if any (serials are unique). Items
    /// are read in both documented shapes ([`InventoryItem`]). A token uploaded through
    /// the legacy CSV is not found here: look in the user's own tokens as well.
    pub async fn find_hardware_token(
        &self,
        serial: &str,
    ) -> Result<Option<HardwareDevice>, GraphError> {
        let path = inventory_filter_path(serial);
        let found: Vec<InventoryItem> =
            Pager::new(self, ApiVersion::Beta, path, HARDWARE_INVENTORY)
                .collect_all()
                .await?;
        Ok(found.into_iter().map(InventoryItem::into_device).find(|d| {
            d.serial_number
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial.trim()))
        }))
    }

    /// The whole inventory, page by page (either documented item shape).
    pub fn hardware_tokens(&self) -> Pager<InventoryItem> {
        Pager::new(
            self,
            ApiVersion::Beta,
            DEVICES.to_string(),
            HARDWARE_INVENTORY,
        )
    }

    /// The user's hardware tokens.
    pub async fn list_user_hardware_tokens(
        &self,
        user: &str,
    ) -> Result<Vec<HardwareOathMethod>, GraphError> {
        Pager::new(self, ApiVersion::Beta, user_tokens_path(user), METHODS_READ)
            .collect_all()
            .await
    }

    /// Assign an inventory token to the user, not yet activated (201).
    pub async fn assign_hardware_token(
        &self,
        user: &str,
        device_id: &str,
    ) -> Result<HardwareOathMethod, GraphError> {
        let path = user_tokens_path(user);
        // The docs' table says `id`, their example `device.id`: the example form is used.
        let body = Body::json(&serde_json::json!({ "device": { "id": device_id } }))
            .map_err(|_| encode_err("POST", &path))?;
        let req = Request::new(Method::POST, ApiVersion::Beta, path)
            .access(METHODS_WRITE)
            .body(body);
        self.send_json(req).await
    }

    /// Activate an assigned token with a current code (204).
    pub async fn activate_hardware_token(
        &self,
        user: &str,
        method_id: &str,
        verification_code: &str,
        display_name: Option<&str>,
    ) -> Result<(), GraphError> {
        let path = format!(
            "{}/{}/activate",
            user_tokens_path(user),
            encode_segment(method_id)
        );
        self.post_activation(
            path,
            &ActivateBody {
                device: None,
                serial_number: None,
                verification_code,
                display_name,
            },
        )
        .await
    }

    /// Assign and activate in one call (204): the tool computes the current code from
    /// the secret it holds.
    pub async fn assign_and_activate_hardware_token(
        &self,
        user: &str,
        device_id: &str,
        verification_code: &str,
        display_name: Option<&str>,
    ) -> Result<(), GraphError> {
        let path = format!("{}/assignAndActivate", user_tokens_path(user));
        self.post_activation(
            path,
            &ActivateBody {
                device: Some(IdRef { id: device_id }),
                serial_number: None,
                verification_code,
                display_name,
            },
        )
        .await
    }

    /// Assign and activate by serial number (204).
    pub async fn assign_and_activate_hardware_token_by_serial(
        &self,
        user: &str,
        serial: &str,
        verification_code: &str,
        display_name: Option<&str>,
    ) -> Result<(), GraphError> {
        let path = format!("{}/assignAndActivateBySerialNumber", user_tokens_path(user));
        self.post_activation(
            path,
            &ActivateBody {
                device: None,
                serial_number: Some(serial),
                verification_code,
                display_name,
            },
        )
        .await
    }

    /// Unassign the user's token (DELETE hardwareOathMethods/{id}, 204): the device stays
    /// in the inventory, available again.
    pub async fn unassign_hardware_token(
        &self,
        user: &str,
        method_id: &str,
    ) -> Result<(), GraphError> {
        let path = format!("{}/{}", user_tokens_path(user), encode_segment(method_id));
        let req = Request::new(Method::DELETE, ApiVersion::Beta, path).access(METHODS_WRITE);
        self.send_no_content(req).await.map(|_| ())
    }

    /// Delete a device from the inventory (DELETE hardwareOathDevices/{id}, 204). Refused
    /// while it is assigned: unassign it first.
    pub async fn delete_hardware_token(&self, device_id: &str) -> Result<(), GraphError> {
        let path = format!("{DEVICES}/{}", encode_segment(device_id));
        let req = Request::new(Method::DELETE, ApiVersion::Beta, path).access(HARDWARE_INVENTORY);
        self.send_no_content(req).await.map(|_| ())
    }

    /// POST an activation body (it holds a current code, so it is serialised into a
    /// zeroised buffer); Graph answers 204.
    async fn post_activation(
        &self,
        path: String,
        body: &ActivateBody<'_>,
    ) -> Result<(), GraphError> {
        let body = sensitive(body).map_err(|_| encode_err("POST", &path))?;
        let req = Request::new(Method::POST, ApiVersion::Beta, path)
            .access(METHODS_WRITE)
            .body(body);
        self.send_no_content(req).await.map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn create_body_carries_the_secret_only_in_the_body() {
        let secret = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let token = NewHardwareToken {
            serial_number: "TOTP123456",
            manufacturer: "Contoso",
            model: "Hardware Token 1000",
            secret: &secret,
            time_interval_secs: 30,
            hash_function: HashFunction::HmacSha1,
            display_name: None,
            assign_to: Some("u1"),
        };
        // Debug of the request never shows the secret.
        assert!(!format!("{token:?}").contains("JBSWY3DP"));
        let b32 = secret.expose_base32();
        let body = sensitive(&CreateBody {
            serial_number: token.serial_number,
            manufacturer: token.manufacturer,
            model: token.model,
            secret_key: b32.expose_secret(),
            time_interval_in_seconds: 30,
            hash_function: token.hash_function.as_str(),
            display_name: None,
            assign_to: token.assign_to.map(|id| IdRef { id }),
        })
        .unwrap();
        assert_eq!(format!("{body:?}"), "Body(sensitive)");
        let Body::Sensitive(bytes) = body else {
            panic!("sensitive body expected")
        };
        let json: serde_json::Value = serde_json::from_slice(bytes.expose_secret()).unwrap();
        assert_eq!(json["secretKey"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        assert_eq!(json["timeIntervalInSeconds"], 30);
        assert_eq!(json["hashFunction"], "hmacsha1");
        assert_eq!(json["assignTo"]["id"], "u1");
        assert!(json.get("displayName").is_none());
    }

    #[test]
    fn activate_bodies() {
        let b = serde_json::to_value(ActivateBody {
            device: Some(IdRef { id: "d" }),
            serial_number: None,
            verification_code: "123456",
            display_name: Some("Token"),
        })
        .unwrap();
        assert_eq!(
            b,
            serde_json::json!({"device":{"id":"d"},"verificationCode":"123456","displayName":"Token"})
        );
    }
}
