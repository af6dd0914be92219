//! The `ready` dispatch: everything a client needs to draw its first screen, in one frame.

use super::data::{PresenceView, ReadStateView};
use crate::AppState;
use crate::account::MeView;
use crate::community::views::ServerView;
use crate::dms::DmChannelView;
use crate::media::Urls;
use pingme_app::read_states::FirstScreen;
use pingme_domain::account::Account;
use pingme_domain::community::Server;
use pingme_domain::messages::ReadState;
use pingme_domain::presence::{self, shared_in};
use pingme_domain::{AccountId, ChannelId};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::collections::HashMap;

/// `ready`, numbered 1: the session, the caller's own Account object, its servers (Server
/// objects, each channel with its `last_message_id` and the caller's `read_state`), its direct
/// messages and the presences it may see.
pub fn render(
    state: &AppState,
    session: &str,
    account: &Account,
    screen: &FirstScreen,
    presences: &[PresenceView],
) -> String {
    let by_channel: HashMap<ChannelId, &ReadState> =
        screen.states.iter().map(|s| (s.channel, s)).collect();
    let servers: Vec<Value> = screen
        .servers
        .iter()
        .map(|server| with_read_states(ServerView::new(server, state, false), &by_channel))
        .collect();
    let urls = Urls::of(state);
    let dms: Vec<Value> = screen
        .dms
        .iter()
        .map(|dm| {
            let mut dm = serde_json::to_value(DmChannelView::new(dm, &urls)).unwrap_or_default();
            with_read_state(&mut dm, &by_channel);
            dm
        })
        .collect();
    let data = json!({
        "session_id": session,
        "user": MeView::new(account, state),
        "servers": servers,
        "dms": dms,
        "presences": presences,
    });
    // In the order of every dispatch's keys (`op`, `t`, `s`, `d`): a client may read the
    // event's name without parsing the frame.
    format!(r#"{{"op":"dispatch","t":"ready","s":1,"d":{data}}}"#)
}

/// The presences the person sees: their own (as it is: `invisible` too), and those of the
/// people sharing with them a server where presence is shared ([`shared_in`]) who are not
/// offline.
pub async fn presences(
    state: &AppState,
    account: &Account,
    servers: &[Server],
) -> Vec<PresenceView> {
    let mut people: BTreeSet<AccountId> = servers
        .iter()
        .filter(|s| shared_in(s.members.len()))
        .flat_map(|s| s.members.iter().copied())
        .collect();
    people.insert(account.id);
    let people: Vec<AccountId> = people.into_iter().collect();
    state
        .presence
        .statuses(&people)
        .await
        .into_iter()
        .map(|(id, status)| PresenceView {
            user_id: id.0,
            status: if id == account.id {
                presence::own(Some(status))
            } else {
                presence::shown(Some(status))
            },
        })
        .filter(|view| view.status != "offline")
        .collect()
}

/// The Server object, each of its channels with its last message and read state (a channel
/// created after the states were read has neither yet: zeros).
fn with_read_states(server: ServerView, states: &HashMap<ChannelId, &ReadState>) -> Value {
    let mut server = serde_json::to_value(server).unwrap_or_default();
    if let Some(Value::Array(channels)) = server.get_mut("channel_server") {
        for channel in channels.iter_mut() {
            with_read_state(channel, states);
        }
    }
    server
}

/// Gives a channel object (a server's, or a direct message) its last message and read state.
fn with_read_state(channel: &mut Value, states: &HashMap<ChannelId, &ReadState>) {
    let id = channel
        .get("id")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let found = states.get(&ChannelId(id));
    let last = found.map_or(0, |s| s.last_message_id.0);
    let read = found.map_or(
        json!({"last_read_id": 0, "unread_count": 0, "mention_count": 0}),
        |s| serde_json::to_value(ReadStateView::from(*s)).unwrap_or_default(),
    );
    if let Value::Object(fields) = channel {
        fields.insert("last_message_id".into(), last.into());
        fields.insert("read_state".into(), read);
    }
}
