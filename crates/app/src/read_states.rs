//! Read states: how far each member has read each channel (`ack`), from which their unread
//! and mention counts follow.

use crate::App;
use crate::chat::not_a_reader;
use crate::error::{AppError, AppResult};
use pingme_domain::ChannelId;
use pingme_domain::account::Account;
use pingme_domain::messages::{MessageId, MessageWrite, ReadState};
use tracing::instrument;

impl App {
    /// Marks the channel read up to `message` for the caller, a member of its server: never
    /// back, never past the channel's newest message. The read state after.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, %channel, message = %message.0))]
    pub async fn ack(
        &self,
        caller: &Account,
        channel: ChannelId,
        message: MessageId,
    ) -> AppResult<ReadState> {
        let server = self.channel_server(channel).await?;
        self.readable(server, caller).await?;
        match self.store.ack(caller.id, channel, message).await? {
            MessageWrite::Done(state) => Ok(state),
            MessageWrite::Refused => Err(not_a_reader()),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }
}
