//! Images uploaded for messages: stored through the pipeline, recorded as their uploader's
//! until one message uses them (`App::send_message`), swept when they never are.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::media::MediaOwner;
use pingme_domain::AttachmentId;
use pingme_domain::account::Account;
use pingme_domain::media::content_type;
use pingme_domain::messages::{Attachment, MAX_UNUSED_ATTACHMENTS, NewAttachment};
use pingme_media::Processed;
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
        let made = self
            .store
            .create_attachment(&new, MAX_UNUSED_ATTACHMENTS)
            .await?;
        // Whatever happened, the file is looked at again once an unused one would expire.
        self.sweep_after(
            owner,
            self.settings.attachment_ttl + self.settings.media_sweep_delay,
        );
        made.ok_or_else(|| {
            AppError::BadRequest(format!(
                "You have {MAX_UNUSED_ATTACHMENTS} images waiting to be sent: send or remove some first."
            ))
        })
    }
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
