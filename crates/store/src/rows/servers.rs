//! Servers as both backends read them. A listing is three queries (the servers, then all
//! their channels, then all their members); how the ids of the second and third are passed
//! differs by backend, but putting the three together does not.

use super::channels::ChannelRow;
use super::time;
use pingme_domain::community::{Ban, Channel, DirectoryVersion, Server, ServerQuery, Standing};
use pingme_domain::store::{StoreError, StoreResult};
use pingme_domain::{AccountId, CategoryId, ServerId};
use std::collections::HashMap;

/// A value bound to a listing's statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Self::Int(value) => value.to_sql(),
            Self::Text(value) => value.to_sql(),
        }
    }
}

/// A listing's first statement, written for the filters it has: each filter the query
/// leaves out is left out of the SQL too (rather than `$n IS NULL OR …`), so that the
/// database can drive the query from the index that fits — the caller's memberships for
/// their own servers, the category's servers by id, the primary key from a cursor — and a
/// page costs the same however many servers the installation holds.
pub(crate) struct Listing {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

impl Listing {
    /// `all_private`: private servers count whoever the viewer is (a server read by id for
    /// a write, or for its own access check).
    pub(crate) fn new(query: &ServerQuery, all_private: bool) -> Self {
        let mut listing = Self {
            sql: String::from(
                "SELECT s.id, s.name, s.description, s.owner_id, a.login AS owner_login, \
                 s.category_id, c.name AS category_name, s.is_private, s.icon, s.banner, \
                 s.created_at, s.updated_at FROM servers s",
            ),
            params: Vec::new(),
        };
        if let Some(member) = query.member {
            let n = listing.bind(Param::Int(member.0));
            listing.sql += &format!(
                " JOIN memberships mine ON mine.server_id = s.id AND mine.account_id = ${n}"
            );
        }
        listing.sql += " JOIN accounts a ON a.id = s.owner_id \
             JOIN categories c ON c.id = s.category_id WHERE TRUE";
        if let Some(category) = &query.category {
            let n = listing.bind(Param::Text(category.clone()));
            listing.sql +=
                &format!(" AND s.category_id = (SELECT id FROM categories WHERE name = ${n})");
        }
        if let Some(id) = query.id {
            let n = listing.bind(Param::Int(id.0));
            listing.sql += &format!(" AND s.id = ${n}");
        }
        if let Some(after) = query.after {
            let n = listing.bind(Param::Int(after.0));
            listing.sql += &format!(" AND s.id > ${n}");
        }
        if let Some(other) = query.shared_with {
            let n = listing.bind(Param::Int(other.0));
            listing.sql += &format!(" AND {}", member_of(n));
        }
        if !all_private {
            match query.viewer {
                Some(viewer) => {
                    let n = listing.bind(Param::Int(viewer.0));
                    listing.sql += &format!(" AND (NOT s.is_private OR {})", member_of(n));
                }
                None => listing.sql += " AND NOT s.is_private",
            }
        }
        if let Some(name) = &query.name {
            let n = listing.bind(Param::Text(name.contains_pattern()));
            listing.sql += &format!(" AND s.name_key LIKE ${n} ESCAPE '\\'");
        }
        listing.sql += " ORDER BY s.id";
        if let Some(limit) = query.limit {
            let n = listing.bind(Param::Int(i64::from(limit)));
            listing.sql += &format!(" LIMIT ${n}");
        }
        listing
    }

    /// The number of the parameter `value` is bound to.
    fn bind(&mut self, value: Param) -> usize {
        self.params.push(value);
        self.params.len()
    }
}

/// Whether the account bound to `$n` is a member of the server `s`.
fn member_of(n: usize) -> String {
    format!("EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = ${n})")
}

/// A row of `Sql::directory_version`.
#[derive(sqlx::FromRow)]
pub(crate) struct DirectoryVersionRow {
    database: i64,
    directory: i64,
}

crate::direct::sqlite_row!(DirectoryVersionRow {
    database,
    directory
});

impl From<DirectoryVersionRow> for DirectoryVersion {
    fn from(row: DirectoryVersionRow) -> Self {
        Self {
            database: row.database,
            directory: row.directory,
        }
    }
}

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
