//! Reactions and pins: marks people put on messages they can read. Each change reaches the
//! server's gateway sessions (the chat socket's frames know neither).

use crate::App;
use crate::chat::not_a_reader;
use crate::error::{AppError, AppResult};
use pingme_domain::ChannelId;
use pingme_domain::account::Account;
use pingme_domain::messages::{
    Emoji, MAX_PINS, MAX_REACTIONS, Message, MessageId, MessageWrite, Pinned, Reacted,
};
use tracing::instrument;

impl App {
    /// Adds the caller's reaction to a message it can read; adding one it gave already
    /// changes nothing.
    #[instrument(skip_all, fields(account = %caller.id, message = %id.0))]
    pub async fn react(&self, caller: &Account, id: MessageId, emoji: Emoji) -> AppResult<()> {
        let message = self.message(caller, id).await?;
        match self.store.add_reaction(id, caller.id, &emoji).await? {
            MessageWrite::Done(Reacted::Changed(count)) => {
                let audience = self.audience(&message, caller.id).await;
                let mark = (&emoji, count);
                self.dispatch_reaction("reaction_add", &message, caller, mark, audience);
                Ok(())
            }
            MessageWrite::Done(Reacted::Unchanged) => Ok(()),
            MessageWrite::Done(Reacted::TooMany) => Err(AppError::BadRequest(format!(
                "A message has at most {MAX_REACTIONS} different reactions."
            ))),
            MessageWrite::Refused => Err(refusal(&message)),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }

    /// Takes the caller's reaction off a message it can read; taking one it never gave
    /// changes nothing.
    #[instrument(skip_all, fields(account = %caller.id, message = %id.0))]
    pub async fn unreact(&self, caller: &Account, id: MessageId, emoji: Emoji) -> AppResult<()> {
        let message = self.message(caller, id).await?;
        match self.store.remove_reaction(id, caller.id, &emoji).await? {
            MessageWrite::Done(Reacted::Changed(count)) => {
                let audience = self.audience(&message, caller.id).await;
                let mark = (&emoji, count);
                self.dispatch_reaction("reaction_remove", &message, caller, mark, audience);
                Ok(())
            }
            MessageWrite::Done(_) => Ok(()),
            MessageWrite::Refused => Err(refusal(&message)),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }

    /// Pins or unpins a message: the owner of its server, or any of the people of its direct
    /// message. Every session that sees the message gets it again (`message_update`) when
    /// that changed it.
    #[instrument(skip_all, fields(account = %caller.id, message = %id.0, pinned))]
    pub async fn pin(&self, caller: &Account, id: MessageId, pinned: bool) -> AppResult<()> {
        let message = self.message(caller, id).await?;
        match self.store.set_pinned(id, caller.id, pinned).await? {
            MessageWrite::Done(Pinned::Changed(message)) => {
                let audience = self.audience(&message, caller.id).await;
                self.dispatch_message("message_update", &message, None, audience);
                Ok(())
            }
            MessageWrite::Done(Pinned::Unchanged) => Ok(()),
            MessageWrite::Done(Pinned::TooMany) => Err(AppError::BadRequest(format!(
                "A channel has at most {MAX_PINS} pinned messages: unpin one first."
            ))),
            MessageWrite::Refused if message.server.is_none() => Err(crate::dms::blocked()),
            MessageWrite::Refused => Err(AppError::Forbidden(
                "Only the server's owner can pin or unpin messages.".into(),
            )),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }

    /// The pinned messages of a channel, the latest pinned first: for its readers.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, %channel))]
    pub async fn pins(&self, caller: &Account, channel: ChannelId) -> AppResult<Vec<Message>> {
        let home = self.channel_home(channel).await?;
        self.readable(home, channel, caller).await?;
        Ok(self.store.pins(channel, caller.id).await?)
    }
}

/// Why a reader's mark on a message was refused: in a direct message between two, a block
/// stands between them; elsewhere, the reader can no longer read it.
fn refusal(message: &Message) -> AppError {
    match message.server {
        None => crate::dms::blocked(),
        Some(_) => not_a_reader(),
    }
}
