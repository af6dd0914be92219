//! Listings of servers (the explore page, one's own servers), rendered, kept while the
//! directory's version stands: the database raises it in the transaction of every write a
//! listing shows (migration 0006), and a request reads it (one key lookup) before using a
//! kept listing or reading one, as [`crate::pages`] does for pages of history.

use crate::App;
use crate::error::AppResult;
use crate::pages::{Kept, Weight};
use bytes::Bytes;
use pingme_domain::ServerId;
use pingme_domain::community::{DirectoryVersion, Server, ServerQuery};
use tracing::instrument;

/// Listings, by who asked and what.
pub type ListingCache = Kept<ListingKey, DirectoryVersion, Listed>;

/// A listing as the adapter renders it: its body, how many servers it holds, and the last
/// one's id when more follow (for the link to the next page, which the adapter makes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub body: Bytes,
    pub servers: usize,
    pub more_after: Option<ServerId>,
}

impl Weight for Listed {
    fn bytes(&self) -> usize {
        self.body.len()
    }
}

/// The key's texts are the client's: counted, so that long ones cannot overrun the budget.
impl Weight for ListingKey {
    fn bytes(&self) -> usize {
        self.query.category.as_ref().map_or(0, String::len)
            + self.query.name.as_ref().map_or(0, |n| n.as_str().len())
    }
}

/// A listing's query (whom it is for included: private servers are listed to their members)
/// and `shape`, whatever else its rendering depends on, as the adapter numbers it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListingKey {
    pub query: ServerQuery,
    pub shape: u32,
}

impl App {
    /// The servers `key.query` selects, rendered by `render`; kept while the directory's
    /// version stands. `key.shape` must tell apart every rendering `render` may make.
    #[instrument(level = "debug", skip_all)]
    pub async fn listing(
        &self,
        key: ListingKey,
        render: impl FnOnce(Vec<Server>) -> Listed,
    ) -> AppResult<Listed> {
        let query = key.query.clone();
        let version = async { Ok(self.store.directory_version().await?) };
        let read = async { Ok(render(self.store.servers(&query).await?)) };
        self.listings.answer(key, version, read).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_key_counts_the_texts_it_holds() {
        let cache = ListingCache::new(1 << 20);
        let version = DirectoryVersion {
            database: 0,
            directory: 1,
        };
        for n in 0..100 {
            let key = ListingKey {
                query: ServerQuery {
                    category: Some(format!("{n}{}", "x".repeat(100_000))),
                    ..ServerQuery::default()
                },
                shape: 0,
            };
            let listed = Listed {
                body: Bytes::from_static(b"[]"),
                servers: 0,
                more_after: None,
            };
            cache.keep(key, version, listed);
        }
        assert!(cache.len() <= 10, "{} kept", cache.len());
    }
}
