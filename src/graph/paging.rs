//! Collections page by page: `@odata.nextLink` is followed verbatim (on the same host
//! only), `ConsistencyLevel` is sent again with every page (Graph does not carry it
//! over), empty pages with a nextLink are followed, and `@odata.count` is kept from the
//! first page (graph-api.md §7).

use std::marker::PhantomData;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::client::{GraphClient, Request, Target};
use super::error::{Access, GraphError};
use super::limiter::Cost;
use super::model::Page;
use super::root::ApiVersion;

/// Pages of a collection. Nothing is fetched until [`Pager::next_page`].
#[derive(Debug)]
pub struct Pager<T> {
    client: GraphClient,
    next: Option<Target>,
    advanced_query: bool,
    prefer_unknown_enums: bool,
    access: Access,
    cost: Cost,
    count: Option<u64>,
    pages: usize,
    _item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new(
        client: &GraphClient,
        version: ApiVersion,
        path_and_query: String,
        access: Access,
    ) -> Pager<T> {
        let cost = Cost::of("GET", &path_and_query);
        Pager {
            client: client.clone(),
            next: Some(Target::Relative {
                version,
                path_and_query,
            }),
            advanced_query: false,
            prefer_unknown_enums: false,
            access,
            cost,
            count: None,
            pages: 0,
            _item: PhantomData,
        }
    }

    pub(crate) fn advanced(mut self) -> Pager<T> {
        self.advanced_query = true;
        self
    }

    pub(crate) fn prefer_unknown_enums(mut self) -> Pager<T> {
        self.prefer_unknown_enums = true;
        self
    }

    /// `@odata.count` of the first page, when asked for (`$count=true`).
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// The next page, or `None` when the collection is exhausted. A page may be empty.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, GraphError> {
        let Some(target) = self.next.take() else {
            return Ok(None);
        };
        let mut req = Request::new(Method::GET, ApiVersion::V1, String::new());
        req.target = target.clone();
        req.cost = self.cost;
        req.access = Some(self.access);
        req.advanced_query = self.advanced_query;
        req.prefer_unknown_enums = self.prefer_unknown_enums;
        let path = self.client.display_path(&target);
        let resp = match self.client.send(req).await {
            Ok(r) => r,
            Err(e) => {
                // Keep the position: a later call retries the same page.
                self.next = Some(target);
                return Err(e);
            }
        };
        let page: Page<T> = serde_json::from_slice(&resp.body)
            .map_err(|e| GraphError::decode("GET", &path, resp.status, e.to_string()))?;
        if self.pages == 0 {
            self.count = page.count;
        }
        self.pages += 1;
        if let Some(link) = page.next_link {
            let url = self
                .client
                .root()
                .check_next_link(&link)
                .map_err(|e| GraphError::refused("GET", &path, e.to_string()))?;
            self.next = Some(Target::Absolute(url));
        }
        Ok(Some(page.value))
    }

    /// Every item of every page.
    pub async fn collect_all(mut self) -> Result<Vec<T>, GraphError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}
