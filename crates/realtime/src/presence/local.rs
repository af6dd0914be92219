//! Presence within one process: the sessions of each person, in memory, and the statuses of
//! sessions that lost their socket, remembered for a while.

use super::{Place, REMEMBERED, lock};
use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status, combine};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Entry {
    status: Status,
    place: Place,
}

type People = HashMap<AccountId, HashMap<Arc<str>, Entry>>;

#[derive(Default)]
pub(super) struct Sessions {
    people: Mutex<People>,
    /// Sessions without a socket: their last status, and when they lost it.
    remembered: Mutex<HashMap<Arc<str>, (Status, Instant)>>,
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
        let had = lock(&self.remembered)
            .remove(session)
            .filter(|(_, since)| since.elapsed() < REMEMBERED)
            .map(|(status, _)| status);
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
            .or(had)
            .unwrap_or(Status::Online);
        sessions.insert(session.clone(), Entry { status, place });
        (status, Change::of(account, before, status_of(sessions)))
    }

    /// The grace is over: the session goes (its status remembered), if no other socket took
    /// it up meanwhile.
    pub fn expire(&self, account: AccountId, session: &Arc<str>, place: &Place) -> Option<Change> {
        let mut people = lock(&self.people);
        let sessions = people.get_mut(&account)?;
        let entry = sessions.get(session)?;
        if entry.place != *place {
            return None;
        }
        let before = status_of(sessions);
        let status = entry.status;
        sessions.remove(session);
        let after = status_of(sessions);
        if sessions.is_empty() {
            people.remove(&account);
        }
        drop(people);
        self.remember(session.clone(), status);
        Change::of(account, before, after)
    }

    fn remember(&self, session: Arc<str>, status: Status) {
        let mut remembered = lock(&self.remembered);
        let now = Instant::now();
        remembered.retain(|_, (_, since)| now.duration_since(*since) < REMEMBERED);
        remembered.insert(session, (status, now));
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
