//! Read states: how far each member has read each channel (`ack`), from which their unread
//! and mention counts follow.

use crate::App;
use crate::chat::not_a_reader;
use crate::error::{AppError, AppResult};
use pingme_domain::account::Account;
use pingme_domain::community::{Server, ServerQuery};
use pingme_domain::dms::DmView;
use pingme_domain::messages::{MessageId, MessageWrite, ReadState};
use pingme_domain::{ChannelId, ServerId};
use std::sync::Arc;
use tracing::instrument;

impl App {
    /// Marks the channel read up to `message` for the caller, a member of its server: never
    /// back, never past the channel's newest message. The read state after, which the
    /// caller's gateway sessions are told of (but `session`, the one that acknowledged).
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, %channel, message = %message.0))]
    pub async fn ack(
        &self,
        caller: &Account,
        channel: ChannelId,
        message: MessageId,
        session: Option<Arc<str>>,
    ) -> AppResult<ReadState> {
        let home = self.channel_home(channel).await?;
        self.readable(home, channel, caller).await?;
        match self.store.ack(caller.id, channel, message).await? {
            MessageWrite::Done(state) => {
                self.dispatch_read_state(caller.id, &state, session);
                Ok(state)
            }
            MessageWrite::Refused => Err(not_a_reader()),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }

    /// The servers the person is in, by id only: what a gateway session registers under
    /// before it reads the first screen.
    pub async fn memberships(&self, caller: &Account) -> AppResult<Vec<ServerId>> {
        Ok(self.store.memberships(caller.id).await?)
    }

    /// What a gateway session starts from: the caller's servers with their channels, by id,
    /// its direct messages, and its read state in each of their channels. A constant number
    /// of statements.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id))]
    pub async fn first_screen(&self, caller: &Account) -> AppResult<FirstScreen> {
        let query = ServerQuery {
            viewer: Some(caller.id),
            member: Some(caller.id),
            ..ServerQuery::default()
        };
        let servers = self.store.servers(&query).await?;
        let dms = self.dms(caller).await?;
        let states = self.store.read_states(caller.id).await?;
        Ok(FirstScreen {
            servers,
            dms,
            states,
        })
    }
}

/// The caller's servers and direct messages, and its read states in their channels.
pub struct FirstScreen {
    pub servers: Vec<Server>,
    pub dms: Vec<DmView>,
    pub states: Vec<ReadState>,
}
