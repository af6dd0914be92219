//! Images uploaded for messages: stored through the pipeline, recorded as their uploader's
//! until one message uses them (`App::send_message`), swept when they never are.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::media::MediaOwner;
use pingme_domain::account::Account;
use pingme_domain::media::content_type;
use pingme_domain::messages::{Attachment, MAX_UNUSED_ATTACHMENTS, NewAttachment};
use pingme_domain::{AccountId, AttachmentId, Timestamp};
use pingme_media::Processed;
use std::time::Duration;
use tracing::instrument;

impl App {
    /// Stores a processed image as one of the caller's attachments, refused past
    /// [`MAX_UNUSED_ATTACHMENTS`] waiting. Its sweep is arranged for when it would expire.
    #[instrument(skip_all, fields(account = %caller.id))]
    pub async fn upload_attachment(
        &self,
        caller: &Account,
        image: Processed,
    ) -> AppResult<Attachment> {
        let owner = MediaOwner::Attachments(caller.id);
        let key = format!("{}/{}", owner.folder(), image.file_name());
        let new = NewAttachment {
            owner: caller.id,
            content_type: content_type(&key)
                .unwrap_or("application/octet-stream")
                .to_owned(),
            key,
            width: image.width,
            height: image.height,
        };
        self.media.put(&new.key, image.bytes).await?;
        let since = Timestamp::now().minus(self.settings.attachment_ttl);
        let made = self
            .store
            .create_attachment(&new, MAX_UNUSED_ATTACHMENTS, since)
            .await?;
        made.ok_or_else(|| {
            // The file just stored may be no attachment's.
            self.sweep_later(owner);
            AppError::BadRequest(format!(
                "You have {MAX_UNUSED_ATTACHMENTS} images waiting to be sent: send or remove some first."
            ))
        })
    }

    /// Forgets, now and then for as long as the runtime runs, the attachments never used within
    /// `PINGME_ATTACHMENT_TTL`, whoever uploaded them, and deletes their files once nothing
    /// names them. From start-up on: nothing depends on a timer of a node that may restart.
    pub fn start_attachment_sweeps(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let app = self.clone();
        let every = (self.settings.attachment_ttl / 4)
            .clamp(Duration::from_secs(1), Duration::from_secs(300));
        runtime.spawn(async move {
            loop {
                if let Err(error) = app.expire_attachments().await {
                    tracing::warn!(%error, "unused attachments could not be swept; trying again later");
                }
                tokio::time::sleep(every).await;
            }
        });
    }

    /// One round of [`Self::start_attachment_sweeps`].
    async fn expire_attachments(&self) -> AppResult<()> {
        let before = Timestamp::now().minus(self.settings.attachment_ttl);
        let mut owners: Vec<AccountId> = self
            .store
            .expire_attachments(before)
            .await?
            .iter()
            .filter_map(|key| owner_of(key))
            .collect();
        owners.sort_unstable();
        owners.dedup();
        for owner in owners {
            self.sweep_later(MediaOwner::Attachments(owner));
        }
        Ok(())
    }
}

/// Whose folder an attachment's file is in (`attachments/<account>/<file>`).
pub(crate) fn owner_of(key: &str) -> Option<AccountId> {
    let rest = key.strip_prefix("attachments/")?;
    let (id, _) = rest.split_once('/')?;
    id.parse().ok().map(AccountId)
}

impl App {
    /// Deletes one of the caller's attachments that no message uses yet (a picture taken off
    /// a message before it was sent); its file goes with the next sweep.
    #[instrument(skip_all, fields(account = %caller.id, attachment = %id))]
    pub async fn remove_attachment(&self, caller: &Account, id: AttachmentId) -> AppResult<()> {
        if !self.store.delete_attachment(id, caller.id).await? {
            return Err(AppError::NotFound);
        }
        self.sweep_later(MediaOwner::Attachments(caller.id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_folder_names_its_uploader() {
        assert_eq!(owner_of("attachments/12/ab.webp"), Some(AccountId(12)));
        assert_eq!(owner_of("avatars/12/ab.webp"), None);
        assert_eq!(owner_of("attachments/x/ab.webp"), None);
        assert_eq!(owner_of("attachments/12"), None);
    }
}
