//! Users (by id or UPN, by filter) and groups (by name or id, transitive members):
//! graph-api.md §3.

use reqwest::Method;

use super::super::batch::{BatchItem, BatchResponse};
use super::super::client::{GraphClient, Request};
use super::super::error::GraphError;
use super::super::limiter::TenantSize;
use super::super::model::{DirectoryObject, Group, Page, USER_SELECT, User};
use super::super::paging::Pager;
use super::super::root::{ApiVersion, encode_query_value, encode_segment, odata_string, user_path};
use super::{GROUPS_READ, USERS_READ};

/// How to find a user (rules M1–M3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFilter<'a> {
    /// `userPrincipalName eq` (default query).
    Upn(&'a str),
    /// `onPremisesSecurityIdentifier eq` (default query).
    Sid(&'a str),
    /// `mail eq` (default query).
    Mail(&'a str),
    /// `employeeId eq` (sent as an advanced query, which also works where the default
    /// one would).
    EmployeeId(&'a str),
    /// `onPremisesSamAccountName eq`: every operator needs an advanced query
    /// (`ConsistencyLevel: eventual` and `$count=true`).
    SamAccountName(&'a str),
    /// Any other property by its Graph name (advanced query).
    Attribute { name: &'a str, value: &'a str },
}

impl UserFilter<'_> {
    fn property(&self) -> &str {
        match self {
            UserFilter::Upn(_) => "userPrincipalName",
            UserFilter::Sid(_) => "onPremisesSecurityIdentifier",
            UserFilter::Mail(_) => "mail",
            UserFilter::EmployeeId(_) => "employeeId",
            UserFilter::SamAccountName(_) => "onPremisesSamAccountName",
            UserFilter::Attribute { name, .. } => name,
        }
    }

    fn value(&self) -> &str {
        match self {
            UserFilter::Upn(v)
            | UserFilter::Sid(v)
            | UserFilter::Mail(v)
            | UserFilter::EmployeeId(v)
            | UserFilter::SamAccountName(v)
            | UserFilter::Attribute { value: v, .. } => v,
        }
    }

    fn advanced(&self) -> bool {
        !matches!(
            self,
            UserFilter::Upn(_) | UserFilter::Sid(_) | UserFilter::Mail(_)
        )
    }

    /// Path and query of the search (under the version root).
    pub fn path(&self, extra_select: &[&str]) -> String {
        let filter = format!("{} eq {}", self.property(), odata_string(self.value()));
        let mut q = format!(
            "/users?$filter={}&$select={}",
            encode_query_value(&filter),
            select(extra_select)
        );
        if self.advanced() {
            q.push_str("&$count=true");
        }
        q
    }

    /// The same search as one `$batch` item (resolve 20 users per round trip).
    pub fn batch_item(&self, extra_select: &[&str]) -> BatchItem {
        let item = BatchItem::get(self.path(extra_select)).with_access(USERS_READ);
        if self.advanced() {
            item.advanced()
        } else {
            item
        }
    }
}

/// `$select` of a direct-member listing: what tells users, groups and contacts apart and
/// whether a user is synced.
const MEMBER_SELECT: &str = "id,displayName,userPrincipalName,onPremisesSyncEnabled";

/// `$select` of users: the standard properties plus `extra` (matching attributes).
fn select(extra: &[&str]) -> String {
    let mut props: Vec<&str> = USER_SELECT.to_vec();
    for p in extra {
        if !props.iter().any(|q| q.eq_ignore_ascii_case(p)) {
            props.push(p);
        }
    }
    encode_query_value(&props.join(","))
}

/// The users of a search answered inside a `$batch`.
pub fn users_from_batch(resp: &BatchResponse) -> Result<Vec<User>, serde_json::Error> {
    let body = resp.body.clone().unwrap_or(serde_json::Value::Null);
    let page: Page<User> = serde_json::from_value(body)?;
    Ok(page.value)
}

/// True for a string shaped like an object id (a GUID).
pub fn looks_like_object_id(text: &str) -> bool {
    uuid::Uuid::parse_str(text.trim()).is_ok()
}

impl GraphClient {
    /// The number of users in the tenant: `GET /users/$count`, an advanced query
    /// (`ConsistencyLevel: eventual`) answered with a plain number.
    pub async fn count_users(&self) -> Result<u64, GraphError> {
        let path = "/users/$count";
        let mut req =
            Request::new(Method::GET, ApiVersion::V1, path.to_string()).access(USERS_READ);
        req.advanced_query = true;
        let resp = self.send(req).await?;
        let text = String::from_utf8_lossy(&resp.body);
        text.trim()
            .trim_start_matches('\u{feff}')
            .parse::<u64>()
            .map_err(|_| {
                GraphError::decode(
                    "GET",
                    &format!("/v1.0{path}"),
                    resp.status,
                    format!(
                        "expected a number of users, got {:?}",
                        text.chars().take(40).collect::<String>()
                    ),
                )
            })
    }

    /// Pace resource units by the tenant's size — 3,500 / 5,000 / 8,000 per 10 s for
    /// under 50 / 50–500 / over 500 users (graph-api.md §9) — from one `$count` call,
    /// unless `[graph] resource_units_per_10s` is configured (then `Ok(None)`, nothing
    /// sent). The limiter keeps adapting on 429 either way.
    pub async fn budget_by_tenant_size(&self) -> Result<Option<TenantSize>, GraphError> {
        if self.limiter().limits().resource_units_configured {
            return Ok(None);
        }
        let size = TenantSize::from_users(self.count_users().await?);
        self.limiter().set_resource_units(size.resource_units());
        tracing::info!(
            size = size.describe(),
            units = size.resource_units(),
            "resource-unit budget set by the tenant's size"
        );
        Ok(Some(size))
    }

    /// A user by object id or UPN; `None` when there is none.
    pub async fn get_user(
        &self,
        id_or_upn: &str,
        extra_select: &[&str],
    ) -> Result<Option<User>, GraphError> {
        let path = format!("{}?$select={}", user_path(id_or_upn), select(extra_select));
        self.get_json_opt(ApiVersion::V1, path, USERS_READ).await
    }

    /// Users matching `filter` (normally zero or one; more means the attribute is not
    /// unique and the caller must not guess).
    pub async fn find_users(
        &self,
        filter: UserFilter<'_>,
        extra_select: &[&str],
    ) -> Result<Vec<User>, GraphError> {
        let pager = Pager::<User>::new(self, ApiVersion::V1, filter.path(extra_select), USERS_READ);
        let pager = if filter.advanced() {
            pager.advanced()
        } else {
            pager
        };
        pager.collect_all().await
    }

    /// A group by object id; `None` when there is none.
    pub async fn get_group(&self, id: &str) -> Result<Option<Group>, GraphError> {
        let path = format!("/groups/{}?$select={}", encode_segment(id), Group::SELECT);
        self.get_json_opt(ApiVersion::V1, path, GROUPS_READ).await
    }

    /// Groups whose display name is exactly `name` (there may be several).
    pub async fn find_groups_by_name(&self, name: &str) -> Result<Vec<Group>, GraphError> {
        let filter = format!("displayName eq {}", odata_string(name));
        let path = format!(
            "/groups?$filter={}&$select={}",
            encode_query_value(&filter),
            Group::SELECT
        );
        Pager::<Group>::new(self, ApiVersion::V1, path, GROUPS_READ)
            .collect_all()
            .await
    }

    /// A group by id when `query` is one, else by display name.
    pub async fn find_groups(&self, query: &str) -> Result<Vec<Group>, GraphError> {
        let query = query.trim();
        if looks_like_object_id(query)
            && let Some(g) = self.get_group(query).await?
        {
            return Ok(vec![g]);
        }
        self.find_groups_by_name(query).await
    }

    /// Groups whose display name starts with `prefix` (the group picker), at most `top`,
    /// by name. `startswith` on groups is an advanced query.
    pub async fn search_groups(&self, prefix: &str, top: usize) -> Result<Vec<Group>, GraphError> {
        let filter = format!("startswith(displayName,{})", odata_string(prefix));
        let path = format!(
            "/groups?$filter={}&$select={}&$top={}&$count=true",
            encode_query_value(&filter),
            Group::SELECT,
            top.clamp(1, 999)
        );
        let mut pager = Pager::<Group>::new(self, ApiVersion::V1, path, GROUPS_READ).advanced();
        let mut groups = pager.next_page().await?.unwrap_or_default();
        groups.truncate(top);
        Ok(groups)
    }

    /// Every user in the group, nested groups expanded (`transitiveMembers` cast to
    /// users, 999 per page; an advanced query, so `ConsistencyLevel` goes with every
    /// page).
    pub fn group_users(&self, group_id: &str, extra_select: &[&str]) -> Pager<User> {
        let path = format!(
            "/groups/{}/transitiveMembers/microsoft.graph.user?$select={}&$top=999&$count=true",
            encode_segment(group_id),
            select(extra_select)
        );
        Pager::new(self, ApiVersion::V1, path, GROUPS_READ).advanced()
    }

    /// Every member of the group of any type (users, groups, contacts, devices), nested
    /// groups expanded, each with its `@odata.type` and, for users,
    /// `onPremisesSyncEnabled`: a migration group's users as readiness counts them.
    pub fn group_members(&self, group_id: &str) -> Pager<DirectoryObject> {
        let path = format!(
            "/groups/{}/transitiveMembers?$select={}&$top=999",
            encode_segment(group_id),
            MEMBER_SELECT
        );
        Pager::new(self, ApiVersion::V1, path, GROUPS_READ)
    }

    /// The group's **direct** members of every type, each with its `@odata.type` (users,
    /// nested groups, contacts, devices) and, for users, `onPremisesSyncEnabled`: what
    /// Staged Rollout's interlocks look at. Staged Rollout does not expand nested groups
    /// (graph-api.md §5), so their members are not listed here. 999 per page.
    pub fn group_direct_members(&self, group_id: &str) -> Pager<DirectoryObject> {
        let path = format!(
            "/groups/{}/members?$select={}&$top=999",
            encode_segment(group_id),
            MEMBER_SELECT
        );
        Pager::new(self, ApiVersion::V1, path, GROUPS_READ)
    }

    /// How many users sign in with a UPN in `domain`: `endswith(userPrincipalName,
    /// '@domain')` is an advanced query (`$count=true`, `ConsistencyLevel: eventual`;
    /// aad-advanced-queries lists `endsWith` on `userPrincipalName`), asking for a single
    /// item and reading `@odata.count`. `None` when Graph leaves the count out: paging a
    /// whole domain for a figure is not worth it.
    pub async fn count_domain_users(&self, domain: &str) -> Result<Option<u64>, GraphError> {
        let filter = format!(
            "endswith(userPrincipalName,{})",
            odata_string(&format!("@{domain}"))
        );
        let path = format!(
            "/users?$filter={}&$count=true&$select=id&$top=1",
            encode_query_value(&filter)
        );
        let mut pager =
            Pager::<DirectoryObject>::new(self, ApiVersion::V1, path, USERS_READ).advanced();
        pager.next_page().await?;
        Ok(pager.count())
    }

    /// How many users the group holds, directly or (with `transitive`) through nested
    /// groups too: one advanced query (`$count=true` with `ConsistencyLevel: eventual`,
    /// graph-api.md §3.3) asking for a single item. Should Graph leave `@odata.count`
    /// out, the users are paged through and counted.
    pub async fn count_group_users(
        &self,
        group_id: &str,
        transitive: bool,
    ) -> Result<u64, GraphError> {
        let rel = if transitive {
            "transitiveMembers"
        } else {
            "members"
        };
        let base = format!(
            "/groups/{}/{rel}/microsoft.graph.user?$count=true&$select=id",
            encode_segment(group_id)
        );
        let mut first = Pager::<DirectoryObject>::new(
            self,
            ApiVersion::V1,
            format!("{base}&$top=1"),
            GROUPS_READ,
        )
        .advanced();
        let page = first.next_page().await?;
        if let Some(n) = first.count() {
            return Ok(n);
        }
        if page.is_none() {
            return Ok(0);
        }
        let mut all = Pager::<DirectoryObject>::new(
            self,
            ApiVersion::V1,
            format!("{base}&$top=999"),
            GROUPS_READ,
        )
        .advanced();
        let mut n = 0u64;
        while let Some(items) = all.next_page().await? {
            n += items.len() as u64;
        }
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_the_documented_queries() {
        let p = UserFilter::Upn("o'neil@contoso.com").path(&[]);
        assert!(
            p.starts_with(
                "/users?$filter=userPrincipalName%20eq%20'o''neil@contoso.com'&$select=id,"
            ),
            "{p}"
        );
        assert!(!p.contains("$count"));
        let sid = UserFilter::Sid("S-1-5-21-1-2-3-1001").path(&["extensionAttribute1"]);
        assert!(sid.contains("onPremisesSecurityIdentifier%20eq%20'S-1-5-21-1-2-3-1001'"));
        assert!(
            sid.ends_with(",onPremisesSyncEnabled,extensionAttribute1"),
            "{sid}"
        );
        let sam = UserFilter::SamAccountName("ann");
        assert!(sam.path(&[]).ends_with("&$count=true"));
        assert!(sam.batch_item(&[]).advanced_query);
        assert!(!UserFilter::Mail("a@b").batch_item(&[]).advanced_query);
        assert!(
            UserFilter::Attribute {
                name: "employeeId",
                value: "E1"
            }
            .path(&[])
            .contains("employeeId%20eq%20'E1'")
        );
        // A select entry already present is not repeated.
        assert_eq!(select(&["MAIL"]).matches("mail").count(), 1);
    }

    #[test]
    fn object_ids() {
        assert!(looks_like_object_id("8a7c1b52-1f9b-4f37-9c6e-3a2d1c0b9e88"));
        assert!(!looks_like_object_id("MFA Pilot"));
    }
}
