//! Deleting images nothing uses any more. Keys are content-addressed, so two requests may
//! write the same one; an object is therefore deleted only when nothing refers to it *and*
//! it was last written longer ago than the sweep delay — by then no request can still be
//! about to refer to it.

use crate::AppState;
use crate::error::ApiError;
use pingme_domain::{AccountId, CategoryId, ServerId};
use std::time::SystemTime;

/// Whose folder of images a sweep looks at.
#[derive(Clone, Copy, Debug)]
pub enum MediaOwner {
    Account(AccountId),
    Server(ServerId),
    Category(CategoryId),
}

impl MediaOwner {
    /// The folder its images are stored under.
    pub fn folder(self) -> String {
        match self {
            Self::Account(id) => format!("avatars/{id}"),
            Self::Server(id) => format!("servers/{id}"),
            Self::Category(id) => format!("categories/{id}"),
        }
    }

    /// The keys it refers to now (none once it is deleted).
    async fn in_use(self, state: &AppState) -> Result<Vec<String>, ApiError> {
        Ok(match self {
            Self::Account(id) => state
                .store
                .account(id)
                .await?
                .and_then(|a| a.image)
                .into_iter()
                .collect(),
            Self::Server(id) => state
                .store
                .server(id)
                .await?
                .map(|s| s.icon.into_iter().chain(s.banner).collect())
                .unwrap_or_default(),
            Self::Category(id) => state
                .store
                .category(id)
                .await?
                .and_then(|c| c.icon)
                .into_iter()
                .collect(),
        })
    }
}

/// Arranges for the owner's unused images to be deleted. Called before anything is written,
/// so that even a request cut off half-way leaves nothing behind for long.
pub fn sweep_later(state: &AppState, owner: MediaOwner) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.config.media_sweep_delay).await;
            match sweep(&state, owner).await {
                Ok(true) => return,
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(?owner, %error, "media sweep failed; files are kept");
                    return;
                }
            }
        }
    });
}

/// Deletes the owner's unused images that are old enough; answers whether none is left.
async fn sweep(state: &AppState, owner: MediaOwner) -> Result<bool, ApiError> {
    let in_use = owner.in_use(state).await?;
    let stored = state.media.list(&format!("{}/", owner.folder())).await?;
    let cutoff = SystemTime::now() - state.config.media_sweep_delay;
    let mut done = true;
    for object in stored.into_iter().filter(|o| !in_use.contains(&o.key)) {
        if object.modified <= cutoff {
            state.media.delete(&object.key).await?;
        } else {
            done = false;
        }
    }
    Ok(done)
}
