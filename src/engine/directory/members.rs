//! Streaming a group's users into the engine, each matched to its MFA Server user as
//! its page arrives, with only the properties matching and the panes need.

use std::sync::Arc;

use super::DirMsg;
use crate::engine::context::Inbox;
use crate::engine::protocol::{GroupInfo, Member};
use crate::graph::endpoints::GROUPS_READ;
use crate::graph::model::{Group, User};
use crate::graph::paging::Pager;
use crate::graph::root::{encode_query_value, encode_segment};
use crate::graph::{ApiVersion, GraphClient};
use crate::migrate::{Matcher, MigrationSettings};

/// The user properties matching and the users pane need, and no more: rule M1's UPN,
/// M2's SID, M3's configured attribute (its top-level property when nested), display
/// name, and what readiness checks look at.
pub(crate) fn member_select(settings: &MigrationSettings) -> Vec<String> {
    let mut props: Vec<String> = [
        "id",
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(a) = &settings.match_attribute {
        let top = a.entra.trim().split('.').next().unwrap_or_default().trim();
        if !top.is_empty() && !props.iter().any(|p| p.eq_ignore_ascii_case(top)) {
            props.push(top.to_string());
        }
    }
    props
}

pub(crate) fn group_info(g: &Group) -> GroupInfo {
    GroupInfo {
        id: g.id.clone(),
        display_name: g.display_name.clone().unwrap_or_else(|| g.id.clone()),
        dynamic: g.is_dynamic(),
        members: None,
    }
}

/// Stream a group's users page by page into the engine, each matched (M1–M3). The
/// engine aborts the task when a newer request replaces it.
pub(crate) async fn load_members(
    client: GraphClient,
    group_id: String,
    select: Vec<String>,
    matcher: Arc<Matcher>,
    generation: u64,
    tx: Inbox<DirMsg>,
) {
    let path = format!(
        "/groups/{}/transitiveMembers/microsoft.graph.user?$select={}&$top=999&$count=true",
        encode_segment(&group_id),
        encode_query_value(&select.join(","))
    );
    let mut pager: Pager<User> = Pager::new(&client, ApiVersion::V1, path, GROUPS_READ).advanced();
    loop {
        match pager.next_page().await {
            Ok(Some(users)) => {
                let page: Vec<Member> = users
                    .into_iter()
                    .map(|u| {
                        let entra = u.into_entra();
                        let matched = matcher.match_user(&entra);
                        Member {
                            entra: Arc::new(entra),
                            matched,
                        }
                    })
                    .collect();
                let msg = DirMsg::MembersPage {
                    generation,
                    group_id: group_id.clone(),
                    page,
                    done: false,
                };
                if !tx.send(msg) {
                    return;
                }
            }
            Ok(None) => {
                tx.send(DirMsg::MembersPage {
                    generation,
                    group_id,
                    page: Vec::new(),
                    done: true,
                });
                return;
            }
            Err(error) => {
                tx.send(DirMsg::MembersFailed {
                    generation,
                    group_id,
                    error: error.explanation(),
                });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::MatchAttribute;

    #[test]
    fn selects_the_configured_attribute_by_its_top_level_property() {
        let mut s = MigrationSettings::default();
        assert_eq!(member_select(&s).len(), 6);
        s.match_attribute = Some(MatchAttribute {
            mfa_server: "extensionAttribute1".into(),
            entra: "onPremisesExtensionAttributes.extensionAttribute1".into(),
        });
        let sel = member_select(&s);
        assert_eq!(
            sel.last().map(String::as_str),
            Some("onPremisesExtensionAttributes")
        );
        s.match_attribute = Some(MatchAttribute {
            mfa_server: "upn".into(),
            entra: "userPrincipalName".into(),
        });
        assert_eq!(member_select(&s).len(), 6, "no property twice");
    }
}
