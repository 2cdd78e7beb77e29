//! The records service: reads of the state store's write journal and audit log for the
//! Journal tab and the `journal` and `audit` commands. SQLite reads block, so each runs
//! on the blocking pool and answers when done; the engine loop never waits on the disk.

use super::context::Ctx;
use super::protocol::{Answer, RecordsCommand, RefusalKind, RequestId};
use super::store::StoreError;

/// Pages are at most this long, whatever is asked.
const MAX_PAGE: usize = 10_000;

pub(crate) fn command(ctx: &Ctx, id: RequestId, cmd: RecordsCommand) {
    let (store, tenant, events) = (ctx.store.clone(), ctx.tenant.clone(), ctx.events.clone());
    tokio::spawn(async move {
        let read = tokio::task::spawn_blocking(move || -> Result<Answer, StoreError> {
            match cmd {
                RecordsCommand::Journal {
                    filter,
                    before,
                    limit,
                } => {
                    let entries =
                        store.journal_page(&tenant, &filter, before, limit.min(MAX_PAGE))?;
                    let total = store.journal_count(&tenant, &filter)?;
                    Ok(Answer::Journal { entries, total })
                }
                RecordsCommand::Audit {
                    filter,
                    before,
                    limit,
                } => {
                    let entries =
                        store.audit_page(&tenant, &filter, before, limit.min(MAX_PAGE))?;
                    let total = store.audit_count(&tenant, &filter)?;
                    Ok(Answer::Audit { entries, total })
                }
            }
        })
        .await;
        match read {
            Ok(Ok(answer)) => events.answer(id, answer).await,
            Ok(Err(e)) => {
                events
                    .refuse(
                        id,
                        RefusalKind::Failed,
                        format!("reading the state store: {e}"),
                    )
                    .await
            }
            Err(e) => {
                events
                    .refuse(
                        id,
                        RefusalKind::Failed,
                        format!("reading the state store stopped: {e}"),
                    )
                    .await
            }
        }
    });
}
