//! Presence within one process: the sessions of each person, in memory.

use super::{Place, lock};
use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status, combine};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Entry {
    status: Status,
    place: Place,
    /// Whether its socket is open (or the session is in its grace).
    open: bool,
}

type People = HashMap<AccountId, HashMap<Arc<str>, Entry>>;

#[derive(Default)]
pub(super) struct Sessions {
    people: Mutex<People>,
}

impl Sessions {
    /// Writes the session's status (`None`: the one it had, or `online`) at `place`; unless
    /// `take`, only if no other socket holds the session. The status written, and the change.
    pub fn put(
        &self,
        account: AccountId,
        session: &Arc<str>,
        place: Place,
        status: Option<Status>,
        take: bool,
    ) -> (Status, Option<Change>) {
        let mut people = lock(&self.people);
        let sessions = people.entry(account).or_default();
        let before = status_of(sessions);
        let current = sessions.get(session);
        if let Some(current) = current
            && !take
            && current.place != place
        {
            return (current.status, None);
        }
        let status = status
            .or(current.map(|c| c.status))
            .unwrap_or(Status::Online);
        let entry = Entry {
            status,
            place,
            open: true,
        };
        sessions.insert(session.clone(), entry);
        (status, Change::of(account, before, status_of(sessions)))
    }

    /// The socket at `place` ended: its session is in its grace.
    pub fn leave(&self, account: AccountId, session: &str, place: &Place) {
        let mut people = lock(&self.people);
        if let Some(entry) = people.get_mut(&account).and_then(|s| s.get_mut(session))
            && entry.place == *place
        {
            entry.open = false;
        }
    }

    /// The grace is over: the session goes, if no socket took it up again.
    pub fn expire(&self, account: AccountId, session: &str, place: &Place) -> Option<Change> {
        let mut people = lock(&self.people);
        let sessions = people.get_mut(&account)?;
        let entry = sessions.get(session)?;
        if entry.open || entry.place != *place {
            return None;
        }
        let before = status_of(sessions);
        sessions.remove(session);
        let after = status_of(sessions);
        if sessions.is_empty() {
            people.remove(&account);
        }
        Change::of(account, before, after)
    }

    pub fn statuses(&self, people: &[AccountId]) -> Vec<(AccountId, Status)> {
        let known = lock(&self.people);
        people
            .iter()
            .filter_map(|id| Some((*id, status_of(known.get(id)?)?)))
            .collect()
    }
}

fn status_of(sessions: &HashMap<Arc<str>, Entry>) -> Option<Status> {
    combine(sessions.values().map(|e| e.status))
}
