//! The images of accounts, servers and categories on their way into the media store, and
//! the sweeps that delete what nothing uses any more. Keys are content-addressed, so two
//! requests may write the same one; an object is therefore deleted only when nothing refers
//! to it *and* it was last written longer ago than the sweep delay — by then no request can
//! still be about to refer to it.

use crate::App;
use crate::error::AppResult;
use pingme_domain::{AccountId, CategoryId, ServerId};
use pingme_media::Processed;
use std::time::SystemTime;

/// Whose folder of images a sweep looks at.
#[derive(Clone, Copy, Debug)]
pub enum MediaOwner {
    Account(AccountId),
    Server(ServerId),
    Category(CategoryId),
    /// The images one person uploaded for messages.
    Attachments(AccountId),
}

/// What a request asks of one image.
pub enum ImageChange {
    Keep,
    /// Back to the built-in default.
    Clear,
    Replace(Processed),
}

impl ImageChange {
    pub fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }
}

impl MediaOwner {
    /// The folder its images are stored under.
    pub fn folder(self) -> String {
        match self {
            Self::Account(id) => format!("avatars/{id}"),
            Self::Server(id) => format!("servers/{id}"),
            Self::Category(id) => format!("categories/{id}"),
            Self::Attachments(id) => format!("attachments/{id}"),
        }
    }

    /// The keys it refers to now (none once it is deleted).
    async fn in_use(self, app: &App) -> AppResult<Vec<String>> {
        let store = &app.store;
        Ok(match self {
            Self::Account(id) => store
                .account(id)
                .await?
                .and_then(|a| a.image)
                .into_iter()
                .collect(),
            Self::Server(id) => store
                .server(id)
                .await?
                .map(|s| s.icon.into_iter().chain(s.banner).collect())
                .unwrap_or_default(),
            Self::Category(id) => store
                .category(id)
                .await?
                .and_then(|c| c.icon)
                .into_iter()
                .collect(),
            Self::Attachments(_) => store.attachment_keys(&self.folder()).await?,
        })
    }
}

impl App {
    /// Stores a new image of `owner` and answers the change to record: `Some(Some(key))`,
    /// `Some(None)` to clear, `None` to keep. A change arranges a sweep of the owner's
    /// folder first, so that even a request cut off half-way leaves nothing behind for long.
    pub(crate) async fn store_image(
        &self,
        owner: MediaOwner,
        change: ImageChange,
    ) -> AppResult<Option<Option<String>>> {
        if !change.is_keep() {
            self.sweep_later(owner);
        }
        self.put_image(owner, change).await
    }

    /// [`Self::store_image`] without the sweep, for the caller that arranged it.
    async fn put_image(
        &self,
        owner: MediaOwner,
        change: ImageChange,
    ) -> AppResult<Option<Option<String>>> {
        Ok(match change {
            ImageChange::Keep => None,
            ImageChange::Clear => Some(None),
            ImageChange::Replace(image) => {
                let key = format!("{}/{}", owner.folder(), image.file_name());
                self.media.put(&key, image.bytes).await?;
                Some(Some(key))
            }
        })
    }

    /// Both images of a server, with one sweep of its folder for the two.
    pub(crate) async fn store_image_pair(
        &self,
        owner: MediaOwner,
        first: ImageChange,
        second: ImageChange,
    ) -> AppResult<(Option<Option<String>>, Option<Option<String>>)> {
        if !(first.is_keep() && second.is_keep()) {
            self.sweep_later(owner);
        }
        Ok((
            self.put_image(owner, first).await?,
            self.put_image(owner, second).await?,
        ))
    }

    /// Arranges for the owner's unused images to be deleted.
    pub(crate) fn sweep_later(&self, owner: MediaOwner) {
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(app.settings.media_sweep_delay).await;
                match app.sweep(owner).await {
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
    async fn sweep(&self, owner: MediaOwner) -> AppResult<bool> {
        let in_use = owner.in_use(self).await?;
        let stored = self.media.list(&format!("{}/", owner.folder())).await?;
        let cutoff = SystemTime::now() - self.settings.media_sweep_delay;
        let mut done = true;
        for object in stored.into_iter().filter(|o| !in_use.contains(&o.key)) {
            if object.modified <= cutoff {
                self.media.delete(&object.key).await?;
            } else {
                done = false;
            }
        }
        Ok(done)
    }
}
