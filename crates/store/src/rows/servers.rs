//! Servers as both backends read them. A listing is three queries (the servers, then all
//! their channels, then all their members); how the ids of the second and third are passed
//! differs by backend, but putting the three together does not.

use super::channels::ChannelRow;
use super::time;
use pingme_domain::community::{Ban, Channel, Server, Standing};
use pingme_domain::store::{StoreError, StoreResult};
use pingme_domain::{AccountId, CategoryId, ServerId};
use std::collections::HashMap;

/// `$1` category name, `$2` server id, `$3` a member, `$4` another member, `$5` the viewer,
/// `$6` whether private servers count regardless of the viewer, `$7` how many (none: as
/// many as a signed 64-bit count holds, which both databases read as no limit), `$8` a
/// `LIKE` pattern the name's key must match (escaped with `\`, as
/// [`pingme_domain::search::LIKE_ESCAPE`]).
pub(crate) const SERVERS: &str = "SELECT s.id, s.name, s.description, s.owner_id, a.login AS owner_login, \
     s.category_id, c.name AS category_name, s.is_private, s.icon, s.banner, s.created_at, s.updated_at \
     FROM servers s JOIN accounts a ON a.id = s.owner_id JOIN categories c ON c.id = s.category_id \
     WHERE ($1 IS NULL OR c.name = $1) AND ($2 IS NULL OR s.id = $2) \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $3)) \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $4)) \
     AND ($6 OR NOT s.is_private OR EXISTS \
         (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $5)) \
     AND ($8 IS NULL OR s.name_key LIKE $8 ESCAPE '\\') \
     ORDER BY s.id LIMIT COALESCE($7, 9223372036854775807)";

/// Whether an account is a member of a server (`$1`) and whether it is banned from it.
pub(crate) const STANDING: &str = "SELECT EXISTS (SELECT 1 FROM memberships WHERE server_id = $1 AND account_id = $2), \
     EXISTS (SELECT 1 FROM bans WHERE server_id = $1 AND account_id = $2)";

/// [`STANDING`]'s answer, read directly (its columns have no names to check).
pub(crate) struct StandingRow {
    member: bool,
    banned: bool,
}

impl crate::direct::FromSqlite for StandingRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            member: row.get(0)?,
            banned: row.get(1)?,
        })
    }
}

impl StandingRow {
    pub(crate) fn standing(self) -> Standing {
        standing_of(self.member, self.banned)
    }
}

/// The standing [`STANDING`]'s two answers make.
pub(crate) fn standing_of(member: bool, banned: bool) -> Standing {
    if banned {
        Standing::Banned
    } else if member {
        Standing::Member
    } else {
        Standing::Outsider
    }
}

/// A server with its owner's login and its category's name, without its channels and
/// members.
#[derive(sqlx::FromRow)]
pub(crate) struct ServerRow {
    pub(crate) id: i64,
    name: String,
    description: Option<String>,
    owner_id: i64,
    owner_login: String,
    category_id: i64,
    category_name: String,
    is_private: bool,
    icon: Option<String>,
    banner: Option<String>,
    created_at: i64,
    updated_at: i64,
}

crate::direct::sqlite_row!(ServerRow {
    id,
    name,
    description,
    owner_id,
    owner_login,
    category_id,
    category_name,
    is_private,
    icon,
    banner,
    created_at,
    updated_at,
});

impl ServerRow {
    fn into_server(self, channels: Vec<Channel>, members: Vec<AccountId>) -> StoreResult<Server> {
        Ok(Server {
            id: ServerId(self.id),
            name: self.name,
            description: self.description,
            owner: AccountId(self.owner_id),
            owner_login: self.owner_login,
            category: CategoryId(self.category_id),
            category_name: self.category_name,
            is_private: self.is_private,
            icon: self.icon,
            banner: self.banner,
            created_at: time(self.created_at)?,
            updated_at: time(self.updated_at)?,
            channels,
            members,
        })
    }
}

/// One membership: `server_id, account_id`.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    server_id: i64,
    account_id: i64,
}

crate::direct::sqlite_row!(MemberRow {
    server_id,
    account_id
});

/// Gives each server its channels and members, keeping the order of each list.
pub(crate) fn assemble(
    servers: Vec<ServerRow>,
    channels: Vec<ChannelRow>,
    members: Vec<MemberRow>,
) -> StoreResult<Vec<Server>> {
    let mut by_server: HashMap<i64, Vec<Channel>> = HashMap::new();
    for row in channels {
        let channel = Channel::try_from(row)?;
        by_server.entry(channel.server.0).or_default().push(channel);
    }
    let mut members_of: HashMap<i64, Vec<AccountId>> = HashMap::new();
    for row in members {
        members_of
            .entry(row.server_id)
            .or_default()
            .push(AccountId(row.account_id));
    }
    servers
        .into_iter()
        .map(|row| {
            let id = row.id;
            row.into_server(
                by_server.remove(&id).unwrap_or_default(),
                members_of.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

/// The bans of a server, in the order a listing shows them.
pub(crate) const BANS: &str = "SELECT b.account_id, a.login, b.created_at \
     FROM bans b JOIN accounts a ON a.id = b.account_id \
     WHERE b.server_id = $1 ORDER BY b.created_at, b.account_id";

/// One row of [`BANS`].
#[derive(sqlx::FromRow)]
pub(crate) struct BanRow {
    account_id: i64,
    login: String,
    created_at: i64,
}

impl TryFrom<BanRow> for Ban {
    type Error = StoreError;

    fn try_from(row: BanRow) -> Result<Self, StoreError> {
        Ok(Ban {
            account: AccountId(row.account_id),
            login: row.login,
            created_at: time(row.created_at)?,
        })
    }
}
