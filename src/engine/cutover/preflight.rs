//! Preflight: what the sign-in can do (the one capability check), the authentication
//! methods policy against what MFA Server users use and MFA Server's company settings
//! (the migration guide's table), its migration state and office-phone setting, the
//! cloud's limits, refused sign-in scopes, the users whose methods cannot be migrated
//! here, and what the inventory says keeps users on MFA Server.

use super::Task;
use crate::engine::protocol::{Answer, PreflightReport, Refusal};
use crate::finding::{Finding, FindingSubject};
use crate::rollout::{
    MfaServerUsage, PolicyMethods, Rule, access_findings, check_methods, unmigratable,
};

pub(super) async fn run(t: &Task) -> Result<Answer, Refusal> {
    let mut findings: Vec<Finding> = access_findings(&t.capabilities, &t.identity);
    let cloud = t.identity.cloud;
    findings.extend(cloud.findings());
    let usage = MfaServerUsage::from_dataset(&t.data);
    match t.graph.get_methods_policy().await {
        Ok(policy) => {
            findings.extend(policy.to_facts().findings());
            findings.extend(check_methods(&PolicyMethods::from_policy(&policy), &usage));
        }
        Err(e) => findings.push(
            Finding::blocking(
                Rule::Methods,
                FindingSubject::Tenant,
                format!(
                    "the authentication methods policy cannot be read: {}",
                    e.explanation()
                ),
            )
            .with_fix("grant Policy.Read.AuthenticationMethod (Global Reader can read it)"),
        ),
    }
    findings.extend(unmigratable(&usage, &t.capabilities, cloud));
    findings.extend(t.inventory.keeps_users.iter().cloned());
    Ok(Answer::Preflight(Box::new(PreflightReport {
        identity: t.identity.clone(),
        delegated: t.delegated.clone(),
        capabilities: t.capabilities.clone(),
        findings,
    })))
}
