//! The directory service: finding groups (by name or id, or by prefix for the picker),
//! the loaded group and its members (streamed, matched as each page arrives), and the
//! Entra methods of the users a front end shows. Other services read the loaded members
//! through the core; only this service changes them.

mod members;
mod methods;

use std::collections::HashMap;

use super::context::{Ctx, Inbox};
use super::protocol::{
    Answer, DirectoryCommand, DirectoryEvent, Event, GroupInfo, Member, RefusalKind, RequestId,
};
use crate::graph::GraphError;
use crate::graph::model::Group;

pub(crate) use members::member_select;
use methods::MethodsService;

/// Groups the picker lists at most.
const SEARCH_TOP: usize = 20;

/// Why a group look-up was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// `FindGroup` from a front end.
    Find,
    /// `SearchGroups` (prefix) from the picker.
    Search,
    /// The configured group, for a run asked for before any group was loaded.
    ForRun,
}

/// What the directory's tasks report back.
pub(crate) enum DirMsg {
    Groups {
        request: Option<RequestId>,
        lookup: Lookup,
        query: String,
        result: Result<Vec<GroupInfo>, GraphError>,
    },
    MembersPage {
        generation: u64,
        group_id: String,
        page: Vec<Member>,
        done: bool,
    },
    MembersFailed {
        generation: u64,
        group_id: String,
        error: String,
    },
    Methods(Vec<(String, methods::MethodsAnswer)>),
}

/// What the core must hear of a report (other services may be waiting on it).
#[derive(Debug)]
pub(crate) enum DirNews {
    /// Every member of the group is in.
    MembersLoaded,
    /// The members could not be read.
    MembersFailed { error: String },
    /// The configured group was looked up for a run: one group (now loading), or why not.
    ResolvedForRun(Result<(), String>),
}

pub(crate) struct DirectoryService {
    inbox: Inbox<DirMsg>,
    found: HashMap<String, GroupInfo>,
    group: Option<GroupInfo>,
    members: Vec<Member>,
    index: HashMap<String, usize>,
    generation: u64,
    task: Option<tokio::task::JoinHandle<()>>,
    loading: bool,
    /// The `LoadMembers` request to answer when loading ends.
    waiting: Option<RequestId>,
    methods: MethodsService,
}

pub(crate) fn group_info(g: &Group) -> GroupInfo {
    members::group_info(g)
}

impl DirectoryService {
    pub(crate) fn new(ctx: &Ctx, inbox: Inbox<DirMsg>, methods_ttl: std::time::Duration) -> Self {
        DirectoryService {
            methods: MethodsService::start(ctx.graph().clone(), methods_ttl, inbox.clone()),
            inbox,
            found: HashMap::new(),
            group: None,
            members: Vec::new(),
            index: HashMap::new(),
            generation: 0,
            task: None,
            loading: false,
            waiting: None,
        }
    }

    pub(crate) fn group(&self) -> Option<&GroupInfo> {
        self.group.as_ref()
    }

    pub(crate) fn members(&self) -> &[Member] {
        &self.members
    }

    pub(crate) fn member(&self, entra_id: &str) -> Option<&Member> {
        self.index.get(entra_id).and_then(|i| self.members.get(*i))
    }

    pub(crate) fn is_loading(&self) -> bool {
        self.loading
    }

    /// A group is loaded and all its members are in.
    pub(crate) fn is_ready(&self) -> bool {
        self.group.is_some() && !self.loading
    }

    pub(crate) async fn command(&mut self, ctx: &Ctx, id: RequestId, cmd: DirectoryCommand) {
        match cmd {
            DirectoryCommand::FindGroup { query } => {
                self.look_up(ctx, Some(id), Lookup::Find, query)
            }
            DirectoryCommand::SearchGroups { prefix } => {
                self.look_up(ctx, Some(id), Lookup::Search, prefix)
            }
            DirectoryCommand::LoadMembers { group_id } => {
                self.load(ctx, group_id, Some(id)).await;
            }
            DirectoryCommand::ReadMethods { users } => {
                for (user, methods) in self.methods.request(users) {
                    ctx.events
                        .send(Event::Directory(DirectoryEvent::Methods { user, methods }))
                        .await;
                }
                ctx.events.answer(id, Answer::Accepted).await;
            }
        }
    }

    /// Look a group up in a task of its own; the answer comes back as [`DirMsg::Groups`].
    pub(crate) fn look_up(
        &self,
        ctx: &Ctx,
        request: Option<RequestId>,
        lookup: Lookup,
        query: String,
    ) {
        let (client, inbox) = (ctx.graph().clone(), self.inbox.clone());
        tokio::spawn(async move {
            let result = match lookup {
                Lookup::Find | Lookup::ForRun => client.find_groups(&query).await,
                Lookup::Search => client.search_groups(query.trim(), SEARCH_TOP).await,
            };
            let result = match result {
                Ok(groups) => {
                    let mut infos: Vec<GroupInfo> = groups.iter().map(group_info).collect();
                    if lookup != Lookup::ForRun {
                        // Member counts for the picker; a count that fails is left out.
                        for g in &mut infos {
                            g.members = client.count_group_users(&g.id, true).await.ok();
                        }
                    }
                    Ok(infos)
                }
                Err(e) => Err(e),
            };
            inbox.send(DirMsg::Groups {
                request,
                lookup,
                query,
                result,
            });
        });
    }

    /// Start loading `group_id`'s members, replacing a load in progress (whose request
    /// is told so).
    pub(crate) async fn load(&mut self, ctx: &Ctx, group_id: String, request: Option<RequestId>) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        if let Some(old) = self.waiting.take() {
            ctx.events
                .refuse(
                    old,
                    RefusalKind::Superseded,
                    "a newer request loads the group's members instead",
                )
                .await;
        }
        self.generation += 1;
        self.members.clear();
        self.index.clear();
        self.loading = true;
        self.waiting = request;
        let group = self.found.get(&group_id).cloned().unwrap_or(GroupInfo {
            id: group_id.clone(),
            display_name: group_id.clone(),
            dynamic: false,
            members: None,
        });
        self.group = Some(group.clone());
        ctx.events
            .send(Event::Directory(DirectoryEvent::Loading { group }))
            .await;
        let task = members::load_members(
            ctx.graph().clone(),
            group_id,
            member_select(&ctx.settings),
            ctx.matcher.clone(),
            self.generation,
            self.inbox.clone(),
        );
        self.task = Some(tokio::spawn(task));
    }

    /// Load the same group again (new settings, a sync cycle).
    pub(crate) async fn reload(&mut self, ctx: &Ctx) -> bool {
        match self.group.clone() {
            Some(g) => {
                self.load(ctx, g.id, None).await;
                true
            }
            None => false,
        }
    }

    /// Cached methods are stale after writes.
    pub(crate) fn forget_methods(&mut self) {
        for m in &self.members {
            self.methods.invalidate(&m.entra.id);
        }
    }

    pub(crate) async fn report(&mut self, ctx: &Ctx, msg: DirMsg) -> Option<DirNews> {
        match msg {
            DirMsg::Groups {
                request,
                lookup,
                query,
                result,
            } => self.groups(ctx, request, lookup, query, result).await,
            DirMsg::MembersPage {
                generation,
                group_id,
                page,
                done,
            } => {
                if generation != self.generation {
                    return None;
                }
                for m in &page {
                    self.index.insert(m.entra.id.clone(), self.members.len());
                    self.members.push(m.clone());
                }
                let loaded = self.members.len();
                ctx.events
                    .send(Event::Directory(DirectoryEvent::Members {
                        group_id,
                        page,
                        loaded,
                        done,
                    }))
                    .await;
                if !done {
                    return None;
                }
                self.loading = false;
                self.task = None;
                if let (Some(id), Some(group)) = (self.waiting.take(), self.group.clone()) {
                    ctx.events
                        .answer(id, Answer::Members { group, loaded })
                        .await;
                }
                Some(DirNews::MembersLoaded)
            }
            DirMsg::MembersFailed {
                generation,
                group_id,
                error,
            } => {
                if generation != self.generation {
                    return None;
                }
                self.loading = false;
                self.task = None;
                let name = self
                    .group
                    .as_ref()
                    .map_or(group_id, |g| g.display_name.clone());
                let message = format!("loading the members of {name:?}: {error}");
                match self.waiting.take() {
                    Some(id) => ctx.events.refuse(id, RefusalKind::Failed, &message).await,
                    None => ctx.events.error(None, "loading members", &message).await,
                }
                Some(DirNews::MembersFailed { error: message })
            }
            DirMsg::Methods(answers) => {
                for (user, methods) in answers {
                    self.methods.store(&user, &methods);
                    ctx.events
                        .send(Event::Directory(DirectoryEvent::Methods { user, methods }))
                        .await;
                }
                None
            }
        }
    }

    async fn groups(
        &mut self,
        ctx: &Ctx,
        request: Option<RequestId>,
        lookup: Lookup,
        query: String,
        result: Result<Vec<GroupInfo>, GraphError>,
    ) -> Option<DirNews> {
        let infos = match result {
            Ok(infos) => infos,
            Err(e) => {
                let message = format!("finding the group {query:?}: {}", e.explanation());
                if let Some(id) = request {
                    ctx.events.refuse(id, RefusalKind::Failed, &message).await;
                }
                return (lookup == Lookup::ForRun).then_some(DirNews::ResolvedForRun(Err(message)));
            }
        };
        for g in &infos {
            self.found.insert(g.id.clone(), g.clone());
        }
        if lookup == Lookup::ForRun {
            let outcome = match infos.as_slice() {
                [g] => {
                    self.load(ctx, g.id.clone(), None).await;
                    Ok(())
                }
                [] => Err(format!(
                    "the configured group {query:?}: no group carries that name or id"
                )),
                many => Err(format!(
                    "the configured group {query:?}: {} groups carry that name; name the group \
                     by object id",
                    many.len()
                )),
            };
            return Some(DirNews::ResolvedForRun(outcome));
        }
        if let Some(id) = request {
            ctx.events.answer(id, Answer::Groups(infos)).await;
        }
        None
    }
}

impl Drop for DirectoryService {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
