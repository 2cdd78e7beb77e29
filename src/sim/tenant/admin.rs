//! Setup that Graph cannot do, for tests and the demo: register a Microsoft
//! Authenticator or a software OATH token (public Graph can only read and delete them),
//! change the methods policy, make groups, put tokens in the inventory. These changes are
//! not writes of the client and do not enter the write log.

use data_encoding::BASE32_NOPAD;

use super::{
    Authenticator, DefaultMethod, DeviceStatus, Feature, Group, GroupKind, Member, MethodConfigId,
    MfaBehavior, NewDevice, PhoneType, Target, Tenant, fmt_oid,
};
use crate::sim::otp;

/// Why a setup step could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("no group {0:?}")]
    NoGroup(String),
    #[error("{0}")]
    Refused(String),
}

/// Mutable access to the tenant for setup.
pub struct TenantAdmin<'a> {
    t: &'a mut Tenant,
}

impl<'a> TenantAdmin<'a> {
    pub(crate) fn new(t: &'a mut Tenant) -> TenantAdmin<'a> {
        TenantAdmin { t }
    }

    fn user(&self, key: &str) -> Result<u32, AdminError> {
        self.t
            .find_user(key)
            .ok_or_else(|| AdminError::NoUser(key.to_string()))
    }

    /// A group by display name or object id.
    fn group(&self, name: &str) -> Result<u32, AdminError> {
        self.t
            .groups_named(name)
            .first()
            .copied()
            .or_else(|| self.t.find_group(name))
            .ok_or_else(|| AdminError::NoGroup(name.to_string()))
    }

    /// Enable or disable a method in the authentication methods policy.
    pub fn set_method_enabled(&mut self, id: MethodConfigId, enabled: bool) {
        if let Some(c) = self.t.method_config_mut(id) {
            c.enabled = enabled;
        }
    }

    /// Target a method at these groups (by name) instead of all users.
    pub fn set_method_groups(
        &mut self,
        id: MethodConfigId,
        groups: &[&str],
    ) -> Result<(), AdminError> {
        let targets = groups
            .iter()
            .map(|g| self.group(g).map(Target::Group))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(c) = self.t.method_config_mut(id) {
            c.include = targets;
        }
        Ok(())
    }

    /// Register a Microsoft Authenticator instance; returns its method id. The
    /// five-device limit applies.
    pub fn add_authenticator(
        &mut self,
        user: &str,
        display_name: &str,
    ) -> Result<String, AdminError> {
        let u = self.user(user)?;
        self.check_room(u)?;
        let id = self.t.next_id();
        if let Some(x) = self.t.users.get_mut(u as usize) {
            x.authenticators.push(Authenticator {
                id,
                display_name: display_name.into(),
                phone_app_version: "6.2409.6294".into(),
            });
        }
        Ok(fmt_oid(id))
    }

    /// Register a software OATH token; returns its method id.
    pub fn add_software_oath(&mut self, user: &str) -> Result<String, AdminError> {
        let u = self.user(user)?;
        self.check_room(u)?;
        let id = self.t.next_id();
        if let Some(x) = self.t.users.get_mut(u as usize) {
            x.software_oath.push(id);
        }
        Ok(fmt_oid(id))
    }

    fn check_room(&self, u: u32) -> Result<(), AdminError> {
        match self.t.users.get(u as usize) {
            Some(x) if x.device_count() >= 5 => Err(AdminError::Refused(format!(
                "{} already has five devices",
                x.upn
            ))),
            _ => Ok(()),
        }
    }

    /// Set or clear a phone, bypassing Graph's rules (for odd starting states).
    pub fn set_phone(
        &mut self,
        user: &str,
        t: PhoneType,
        number: Option<&str>,
    ) -> Result<(), AdminError> {
        let u = self.user(user)?;
        if let Some(x) = self.t.users.get_mut(u as usize) {
            x.phones[t.slot()] = number.map(Into::into);
        }
        Ok(())
    }

    /// Set the default method without checking registration.
    pub fn set_default_method(
        &mut self,
        user: &str,
        m: Option<DefaultMethod>,
    ) -> Result<(), AdminError> {
        let u = self.user(user)?;
        if let Some(x) = self.t.users.get_mut(u as usize) {
            x.preferred = m;
        }
        Ok(())
    }

    /// A new assigned group with these users (ids or UPNs) as direct members.
    pub fn add_group(&mut self, name: &str, users: &[&str]) -> Result<String, AdminError> {
        let members = users
            .iter()
            .map(|k| self.user(k).map(Member::User))
            .collect::<Result<Vec<_>, _>>()?;
        let id = self.t.next_id();
        self.t.push_group(Group {
            id,
            display_name: name.to_string(),
            description: String::new(),
            kind: GroupKind::Assigned,
            members,
            synced: false,
        });
        Ok(fmt_oid(id))
    }

    /// Make `member` (a group name) a member of `group`.
    pub fn nest_group(&mut self, group: &str, member: &str) -> Result<(), AdminError> {
        let g = self.group(group)?;
        let m = self.group(member)?;
        if let Some(x) = self.t.groups.get_mut(g as usize) {
            x.members.push(Member::Group(m));
        }
        self.t.invalidate_memberships();
        Ok(())
    }

    /// Put a token in the inventory (base32 secret), optionally assigned — and activated —
    /// for a user. `hotp_counter` makes an event-based token. Returns the device id.
    pub fn add_hardware_token(
        &mut self,
        serial: &str,
        secret_base32: &str,
        time_step: u32,
        hotp_counter: Option<u64>,
        assign_to: Option<&str>,
        activated: bool,
    ) -> Result<String, AdminError> {
        let secret = BASE32_NOPAD
            .decode(
                secret_base32
                    .trim_end_matches('=')
                    .to_ascii_uppercase()
                    .as_bytes(),
            )
            .map_err(|e| AdminError::Refused(format!("secret is not base32: {e}")))?;
        let assign_to = assign_to.map(|k| self.user(k)).transpose()?;
        let slot = self
            .t
            .create_device(NewDevice {
                serial: serial.to_string(),
                manufacturer: "Contoso".to_string(),
                model: "OTP c200".to_string(),
                display_name: None,
                secret,
                step: time_step,
                hash: otp::Hash::Sha1,
                hotp_counter,
                assign_to,
            })
            .map_err(|e| AdminError::Refused(e.message))?;
        let d = self
            .t
            .device_at(slot)
            .ok_or_else(|| AdminError::Refused("device vanished".into()))?;
        let id = d.id;
        if activated
            && assign_to.is_some()
            && let Some(Some(d)) = self.t.devices.get_mut(slot)
        {
            d.status = DeviceStatus::Activated;
        }
        Ok(fmt_oid(id))
    }

    /// A token uploaded through the legacy CSV (which needs the user): assigned — and
    /// activated, as the upload allows — for `user`, listed under that user's
    /// `hardwareOathMethods` but not by the inventory search. Returns the device id.
    pub fn add_legacy_csv_token(
        &mut self,
        serial: &str,
        secret_base32: &str,
        user: &str,
        activated: bool,
    ) -> Result<String, AdminError> {
        let id = self.add_hardware_token(serial, secret_base32, 30, None, Some(user), activated)?;
        if let Some(slot) = self.t.device_by_serial(serial)
            && let Some(Some(d)) = self.t.devices.get_mut(slot)
        {
            d.legacy_csv = true;
        }
        Ok(id)
    }

    /// Set `federatedIdpMfaBehavior` of a federated domain (`None` clears it).
    pub fn set_federation_mfa_behavior(
        &mut self,
        domain: &str,
        behavior: Option<&str>,
    ) -> Result<(), AdminError> {
        let b = behavior
            .map(|s| {
                MfaBehavior::from_graph(s)
                    .ok_or_else(|| AdminError::Refused(format!("unknown behaviour {s:?}")))
            })
            .transpose()?;
        let d = self
            .t
            .domains
            .iter_mut()
            .find(|d| d.name.eq_ignore_ascii_case(domain))
            .and_then(|d| d.federation.as_mut())
            .ok_or_else(|| AdminError::Refused(format!("{domain} is not a federated domain")))?;
        d.mfa_behavior = b;
        Ok(())
    }

    // ---------------------------------------------------------------------------------
    // Behind the tool's back: what an admin in the portal or Graph Explorer might do
    // (the drift tests and the demo). Entra's own rules still apply.
    // ---------------------------------------------------------------------------------

    /// The MFA rollout policy, created (on, no groups) when `create` and there is none.
    fn mfa_policy(&mut self, create: bool) -> Result<usize, AdminError> {
        if let Some(i) = self
            .t
            .rollout
            .iter()
            .position(|p| p.feature == Feature::MultiFactorAuthentication)
        {
            return Ok(i);
        }
        if !create {
            return Err(AdminError::Refused(
                "the tenant has no Staged Rollout policy for multiFactorAuthentication".into(),
            ));
        }
        self.t
            .create_rollout(
                "MFA rollout policy".into(),
                Some("Created in the portal".into()),
                Feature::MultiFactorAuthentication,
                true,
                false,
            )
            .map_err(|e| AdminError::Refused(e.message))
    }

    /// Turn Staged Rollout for MFA on or off.
    pub fn set_rollout_enabled(&mut self, enabled: bool) -> Result<(), AdminError> {
        let i = self.mfa_policy(false)?;
        if let Some(p) = self.t.rollout.get_mut(i) {
            p.is_enabled = enabled;
        }
        Ok(())
    }

    /// Add a group (name or id) to the MFA rollout policy, creating the policy if need be;
    /// refused as Graph refuses (an 11th group, dynamic, contacts).
    pub fn add_rollout_group(&mut self, group: &str) -> Result<(), AdminError> {
        let g = self.group(group)?;
        let id = fmt_oid(self.t.groups[g as usize].id);
        let i = self.mfa_policy(true)?;
        self.t
            .add_rollout_group(i, &id)
            .map(|_| ())
            .map_err(|e| AdminError::Refused(e.message))
    }

    /// Remove a group (name or id) from the MFA rollout policy.
    pub fn remove_rollout_group(&mut self, group: &str) -> Result<(), AdminError> {
        let g = self.group(group)?;
        let id = fmt_oid(self.t.groups[g as usize].id);
        let i = self.mfa_policy(false)?;
        self.t
            .remove_rollout_group(i, &id)
            .map(|_| ())
            .map_err(|e| AdminError::Refused(e.message))
    }
}
