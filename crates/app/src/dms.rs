//! Direct messages and blocks: opening a conversation with people one shares a server or a
//! conversation with, leaving a group one, blocking someone. Messages in direct messages go
//! through the same use cases as a server's ([`crate::chat`]); their events reach the
//! conversation's people but those who blocked their author.

use crate::App;
use crate::error::{AppError, AppResult};
use pingme_domain::account::Account;
use pingme_domain::dms::{
    BadRecipients, Dm, DmOpening, DmPeople, DmView, LeftDm, MAX_DM_RECIPIENTS,
};
use pingme_domain::events::{Audience, Dispatch, Event};
use pingme_domain::{AccountId, ChannelId};
use std::sync::Arc;
use tracing::instrument;

/// A direct message opened: as the opener sees it, and whether it was made now.
pub struct Opened {
    pub dm: DmView,
    pub created: bool,
}

impl App {
    /// Opens the direct message of the caller and `recipients` (1 to 9 others, each sharing
    /// a server or a direct message with the caller, no block between them), or finds the
    /// one these people already have. Everyone it is new to is told (`dm_create`), and when
    /// someone is back in a group, those already in it (`dm_update`).
    #[instrument(skip_all, fields(account = %caller.id))]
    pub async fn open_dm(&self, caller: &Account, recipients: &[AccountId]) -> AppResult<Opened> {
        let people = DmPeople::new(caller.id, recipients).map_err(bad_recipients)?;
        let (dm, created, joined) = match self.store.open_dm(&people).await? {
            DmOpening::Opened {
                dm,
                created,
                joined,
            } => (dm, created, joined),
            DmOpening::Unknown(ids) => {
                return Err(AppError::field("recipients", no_accounts(&ids)));
            }
            DmOpening::Strangers(_) => {
                return Err(AppError::Forbidden(
                    "You can only message people you share a server or a conversation with.".into(),
                ));
            }
            DmOpening::Blocked(_) => return Err(blocked()),
        };
        let people = self.store.accounts(&dm.members).await?;
        if !joined.is_empty() {
            // New to those who joined; to the others, who is in it changed.
            let (new, old): (Vec<AccountId>, Vec<AccountId>) =
                dm.members.iter().partition(|m| joined.contains(m));
            self.dispatch_dm("dm_create", &dm, &people, &new);
            self.dispatch_dm("dm_update", &dm, &people, &old);
        }
        Ok(Opened {
            dm: view(&dm, &people, caller.id),
            created,
        })
    }

    /// The direct messages the caller is in, by id.
    pub async fn dms(&self, caller: &Account) -> AppResult<Vec<DmView>> {
        let dms = self.store.dms(caller.id).await?;
        let mut ids: Vec<AccountId> = dms.iter().flat_map(|d| d.members.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let people = self.store.accounts(&ids).await?;
        Ok(dms.iter().map(|dm| view(dm, &people, caller.id)).collect())
    }

    /// One direct message of the caller's; not found if the caller is not in it.
    pub async fn dm(&self, caller: &Account, channel: ChannelId) -> AppResult<DmView> {
        let dm = self
            .store
            .dm(channel, caller.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let people = self.store.accounts(&dm.members).await?;
        Ok(view(&dm, &people, caller.id))
    }

    /// Takes the caller out of a group direct message: its sessions are told the channel is
    /// gone for them (`channel_delete`), the others who is left (`dm_update`).
    #[instrument(skip_all, fields(account = %caller.id, %channel))]
    pub async fn leave_dm(&self, caller: &Account, channel: ChannelId) -> AppResult<()> {
        let before = self.store.dm(channel, caller.id).await?;
        match self.store.leave_dm(channel, caller.id).await? {
            LeftDm::Left { emptied } => {
                let data = self.frames.dm_left_data(channel);
                self.dispatch_to(Audience::Account(caller.id), "channel_delete", data);
                if let (Some(mut dm), false) = (before, emptied) {
                    dm.members.retain(|m| *m != caller.id);
                    let people = self.store.accounts(&dm.members).await?;
                    self.dispatch_dm("dm_update", &dm, &people, &dm.members);
                }
                Ok(())
            }
            LeftDm::NotIn => Err(AppError::NotFound),
            LeftDm::NotAGroup => Err(AppError::BadRequest(
                "A conversation between two people cannot be left.".into(),
            )),
        }
    }

    /// The caller blocks someone: not found if there is no such account.
    #[instrument(skip_all, fields(account = %caller.id, %blocked))]
    pub async fn block(&self, caller: &Account, blocked: AccountId) -> AppResult<()> {
        if blocked == caller.id {
            return Err(AppError::BadRequest("You cannot block yourself.".into()));
        }
        match self.store.block(caller.id, blocked).await? {
            true => Ok(()),
            false => Err(AppError::NotFound),
        }
    }

    /// The caller lifts a block; lifting one that is not there changes nothing.
    #[instrument(skip_all, fields(account = %caller.id, %blocked))]
    pub async fn unblock(&self, caller: &Account, blocked: AccountId) -> AppResult<()> {
        self.store.unblock(caller.id, blocked).await?;
        Ok(())
    }

    /// The accounts the caller blocks, by id.
    pub async fn blocked(&self, caller: &Account) -> AppResult<Vec<Account>> {
        Ok(self.store.blocked(caller.id).await?)
    }

    /// `event` about the direct message to each of `to`, as each sees it.
    fn dispatch_dm(&self, event: &str, dm: &Dm, people: &[Account], to: &[AccountId]) {
        for member in to {
            let data = self.frames.dm_data(&view(dm, people, *member));
            self.dispatch_to(Audience::Account(*member), event, data);
        }
    }

    fn dispatch_to(&self, audience: Audience, event: &str, data: String) {
        let dispatch = Dispatch::to(audience, event, data);
        self.publish(Event::Dispatch(Arc::new(dispatch)));
    }
}

/// The direct message as `viewer` sees it, its people's accounts taken from `people` (an
/// account deleted meanwhile is left out).
fn view(dm: &Dm, people: &[Account], viewer: AccountId) -> DmView {
    let others = dm.others(viewer);
    DmView {
        id: dm.id,
        group: dm.group,
        recipients: people
            .iter()
            .filter(|a| others.contains(&a.id))
            .cloned()
            .collect(),
    }
}

fn bad_recipients(bad: BadRecipients) -> AppError {
    let message = match bad {
        BadRecipients::None => "Name at least one person.".to_owned(),
        BadRecipients::TooMany => {
            format!("At most {MAX_DM_RECIPIENTS} people besides you.")
        }
        BadRecipients::Oneself => "Name the others, not yourself.".to_owned(),
    };
    AppError::field("recipients", message)
}

fn no_accounts(ids: &[AccountId]) -> String {
    let ids: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    format!("No such account: {}.", ids.join(", "))
}

pub(crate) fn blocked() -> AppError {
    AppError::Forbidden("You cannot message this person: one of you has blocked the other.".into())
}
