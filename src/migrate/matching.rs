//! Rules M1–M3: which MFA Server user an Entra member is.
//!
//! [`Matcher::new`] indexes the data set once (lower-cased UPN, SID, the configured
//! attribute); [`Matcher::match_user`] then costs a few hash lookups per Entra member and
//! no Graph call. Precedence follows MFA Server's own utility: UPN first (M1), then the
//! on-premises SID (M2), then the configured attribute (M3). A member is a conflict, and
//! nobody is migrated, when the deciding rule finds several MFA Server users, when any
//! rule finds an MFA Server user other than the one the deciding rule found (two records
//! that both claim the person), or when the found row shares its username with another
//! row (datafile.md: such rows are all kept and flagged).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::entra::EntraUser;
use super::rules::Rule;
use super::settings::{MatchAttribute, MigrationSettings};
use crate::datafile::{DataSet, UserIdx};

/// The result of matching one Entra member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum Match {
    /// Exactly one MFA Server user, found by rule `by` (M1, M2 or M3).
    Matched { user: UserIdx, by: Rule },
    /// No MFA Server user: reported "not in MFA Server".
    NotInMfaServer,
    /// Several MFA Server users match (or share the matching username): none migrated.
    /// `users` is sorted and holds each user once.
    Conflict { users: Vec<UserIdx>, by: Rule },
}

impl Match {
    /// The rule that found the match or the conflict (M1, M2 or M3); `None` for a user
    /// MFA Server does not know.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Match::Matched { by, .. } | Match::Conflict { by, .. } => Some(*by),
            Match::NotInMfaServer => None,
        }
    }

    /// Every MFA Server user this match names.
    pub fn users(&self) -> &[UserIdx] {
        match self {
            Match::Matched { user, .. } => std::slice::from_ref(user),
            Match::NotInMfaServer => &[],
            Match::Conflict { users, .. } => users,
        }
    }
}

/// One index entry: a single user, or a group of users sharing the key.
#[derive(Debug, Clone, Copy)]
enum Hit {
    One(UserIdx),
    /// Index into [`Matcher::groups`].
    Many(u32),
}

/// Indexes over a data set for rules M1–M3; build once per run (or per data set).
#[derive(Debug)]
pub struct Matcher {
    by_upn: HashMap<Box<str>, Hit>,
    by_sid: HashMap<Box<str>, Hit>,
    by_attribute: HashMap<Box<str>, Hit>,
    /// The Entra property M3 reads, when an attribute is configured.
    attribute: Option<MatchAttribute>,
    /// Users that share their (case-insensitive) username with another row → the group.
    shared_username: HashMap<UserIdx, u32>,
    groups: Vec<Vec<UserIdx>>,
    users: usize,
}

/// Lower-case only when needed: most UPNs and SIDs arrive in one case already.
fn fold(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    if t.chars().any(char::is_uppercase) {
        Cow::Owned(t.to_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

fn insert(map: &mut HashMap<Box<str>, Hit>, groups: &mut Vec<Vec<UserIdx>>, key: &str, u: UserIdx) {
    if key.is_empty() {
        return;
    }
    let key = fold(key);
    match map.get_mut(key.as_ref()) {
        None => {
            map.insert(key.into_owned().into_boxed_str(), Hit::One(u));
        }
        Some(hit) => match *hit {
            Hit::One(first) if first == u => {}
            Hit::One(first) => {
                groups.push(vec![first, u]);
                *hit = Hit::Many(groups.len() as u32 - 1);
            }
            Hit::Many(g) => {
                if let Some(group) = groups.get_mut(g as usize)
                    && !group.contains(&u)
                {
                    group.push(u);
                }
            }
        },
    }
}

impl Matcher {
    /// Index `data` for the rules the settings enable.
    pub fn new(data: &DataSet, settings: &MigrationSettings) -> Matcher {
        let n = data.len();
        let mut groups = Vec::new();
        let mut by_upn = HashMap::with_capacity(n);
        let mut by_sid = HashMap::with_capacity(n);
        let mut by_attribute = HashMap::new();
        let attribute = settings
            .match_attribute
            .clone()
            .filter(|a| !a.mfa_server.trim().is_empty() && !a.entra.trim().is_empty());
        // Usernames are only needed to find rows that share one; the full index is
        // dropped at the end of `new`.
        let mut usernames: HashMap<Box<str>, Hit> = HashMap::with_capacity(n);
        let mut username_groups = Vec::new();
        for user in data.users() {
            let idx = user.idx();
            if let Some(upn) = user.match_upn() {
                insert(&mut by_upn, &mut groups, upn, idx);
            }
            if let Some(sid) = user.sid() {
                insert(&mut by_sid, &mut groups, sid, idx);
            }
            if let Some(a) = &attribute
                && let Some(v) = user.ad_attribute(&a.mfa_server)
            {
                insert(&mut by_attribute, &mut groups, v, idx);
            }
            insert(&mut usernames, &mut username_groups, user.username(), idx);
        }
        drop(usernames);
        let mut shared_username = HashMap::new();
        for members in username_groups {
            let g = groups.len() as u32;
            for u in &members {
                shared_username.insert(*u, g);
            }
            groups.push(members);
        }
        for g in &mut groups {
            g.sort_unstable();
        }
        Matcher {
            by_upn,
            by_sid,
            by_attribute,
            attribute,
            shared_username,
            groups,
            users: n,
        }
    }

    fn lookup<'m>(map: &'m HashMap<Box<str>, Hit>, key: Option<&str>) -> Option<&'m Hit> {
        let key = key.map(str::trim).filter(|k| !k.is_empty())?;
        map.get(fold(key).as_ref())
    }

    fn members<'m>(&'m self, hit: &'m Hit) -> &'m [UserIdx] {
        match hit {
            Hit::One(u) => std::slice::from_ref(u),
            Hit::Many(g) => self.groups.get(*g as usize).map_or(&[], Vec::as_slice),
        }
    }

    /// Rules M1, else M2, else M3; conflicts as the module doc says.
    pub fn match_user(&self, entra: &EntraUser) -> Match {
        let upn = Self::lookup(&self.by_upn, Some(&entra.upn));
        let sid = Self::lookup(&self.by_sid, entra.on_premises_sid.as_deref());
        let attr = self
            .attribute
            .as_ref()
            .and_then(|a| Self::lookup(&self.by_attribute, entra.attribute(&a.entra)));
        let hits = [(Rule::M1, upn), (Rule::M2, sid), (Rule::M3, attr)];
        let Some((by, first)) = hits.iter().find_map(|(r, h)| h.map(|h| (*r, h))) else {
            return Match::NotInMfaServer;
        };
        let decided = self.members(first);
        let mut conflict = decided.len() > 1;
        // Another rule naming someone else is a second record claiming this person.
        for (_, hit) in &hits {
            if let Some(h) = hit
                && self.members(h).iter().any(|u| !decided.contains(u))
            {
                conflict = true;
            }
        }
        if !conflict
            && let [user] = decided
            && !self.shared_username.contains_key(user)
        {
            return Match::Matched { user: *user, by };
        }
        let mut users: Vec<UserIdx> = Vec::new();
        for (_, hit) in &hits {
            if let Some(h) = hit {
                users.extend_from_slice(self.members(h));
            }
        }
        let shared: Vec<UserIdx> = users
            .iter()
            .filter_map(|u| self.shared_username.get(u))
            .flat_map(|g| self.groups.get(*g as usize).into_iter().flatten().copied())
            .collect();
        users.extend(shared);
        users.sort_unstable();
        users.dedup();
        Match::Conflict { users, by }
    }

    /// The MFA Server users that no match names (neither matched nor in a conflict),
    /// in data-set order: "in MFA Server, not in the group" for reports.
    pub fn unmatched<'m>(&self, matches: impl IntoIterator<Item = &'m Match>) -> Vec<UserIdx> {
        let mut seen = vec![false; self.users];
        for m in matches {
            for u in m.users() {
                if let Some(s) = seen.get_mut(u.0 as usize) {
                    *s = true;
                }
            }
        }
        seen.iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| UserIdx(i as u32))
            .collect()
    }

    /// Number of MFA Server users indexed.
    pub fn len(&self) -> usize {
        self.users
    }

    pub fn is_empty(&self) -> bool {
        self.users == 0
    }
}
