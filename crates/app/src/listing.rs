//! Listings of servers (the explore page, one's own servers), rendered, kept while the
//! directory's version stands: the database raises it in the transaction of every write a
//! listing shows (migration 0006), and a request reads it (one key lookup) before using a
//! kept listing or reading one, as [`crate::pages`] does for pages of history.

use crate::App;
use crate::error::AppResult;
use crate::pages::{Kept, Weight};
use bytes::Bytes;
use pingme_domain::AccountId;
use pingme_domain::community::{Server, ServerQuery};
use tracing::instrument;

/// Listings, by who asked and what.
pub type ListingCache = Kept<ListingKey, i64, Listed>;

/// A listing as the adapter renders it: its body, and the link to the next page if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub body: Bytes,
    pub next: Option<String>,
}

impl Weight for Listed {
    fn bytes(&self) -> usize {
        self.body.len() + self.next.as_ref().map_or(0, String::len)
    }
}

/// Whom a listing is for (private servers are listed to their members) and the request
/// that asked for it (its path and query string, which decide the query, the rendering and
/// the link to the next page).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListingKey {
    pub viewer: Option<AccountId>,
    pub request: String,
}

impl App {
    /// The servers `query` selects, rendered by `render`; kept under `key` while the
    /// directory's version stands. `key` must name everything `query` and `render` depend on.
    #[instrument(level = "debug", skip_all)]
    pub async fn listing(
        &self,
        key: ListingKey,
        query: &ServerQuery,
        render: impl FnOnce(Vec<Server>) -> Listed,
    ) -> AppResult<Listed> {
        if !self.listings.enabled() {
            return Ok(render(self.store.servers(query).await?));
        }
        // Read before the listing: the listing then holds at least what the version says.
        let version = self.store.directory_version().await?;
        if let Some(kept) = self.listings.get(&key, &version) {
            return Ok(kept);
        }
        let listed = render(self.store.servers(query).await?);
        self.listings.keep(key, version, listed.clone());
        Ok(listed)
    }
}
