//! Presence across nodes, in Redis. Keys, under `<REDIS channel>:pr:`:
//! - `a:<account>`: hash, session → `status|node|number|open` (`open` is 1 while its socket
//!   is, 0 in its grace).
//! - `shown`: hash, account → its status's rank (1 idle … 4 invisible), for those not offline.
//! - `n:<node>`: set, the accounts with a session on that node.
//! - `nodes`: sorted set, node → the Redis time (ms) of its last beat.
//!
//! Every change of a person's sessions is one script, which answers the person's status
//! before and after it: two nodes changing one person's sessions at once each tell their own
//! change, in order.

use super::{Place, Presence};
use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status};
use redis::Script;
use redis::aio::MultiplexedConnection;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Weak};
use std::time::Duration;

/// How often a node says it is alive, and looks for nodes that went silent.
pub const BEAT_EVERY: Duration = Duration::from_secs(5);
/// A node silent for this long is gone: its sessions are swept away (within
/// [`BEAT_EVERY`] more, so a person is offline within 40 s of their node dying).
pub const DEAD_AFTER: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(2);
/// People read per command when reading presences.
const CHUNK: usize = 1000;

/// The statuses by rank (0 is offline), and a person's status made of their sessions'.
const COMBINE: &str = r"
local rank = {idle = 1, online = 2, dnd = 3, invisible = 4}
local function combine(key)
  local best = 0
  for _, v in ipairs(redis.call('HVALS', key)) do
    local r = rank[string.match(v, '^([^|]*)')] or 0
    if r > best then best = r end
  end
  return best
end
local function show(p, a, r)
  if r == 0 then redis.call('HDEL', p .. 'shown', a) else redis.call('HSET', p .. 'shown', a, r) end
end
";

fn script(body: &str) -> Script {
    Script::new(&format!("{COMBINE}{body}"))
}

/// Writes a session's status at a socket's place. ARGV: prefix, account, session, node,
/// number, status ('' keeps the session's, or `online`), take ('1': whoever held it; '0':
/// only if no other socket does). Answers the status written and the ranks before and after.
static PUT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, a, s, n, c, st, take = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = p .. 'a:' .. a
local before = combine(key)
local cur = redis.call('HGET', key, s)
if cur then
  local cs, cn, cc = string.match(cur, '^([^|]*)|([^|]*)|([^|]*)|')
  if take ~= '1' and (cn ~= n or cc ~= c) then return {cs, before, before} end
  if st == '' then st = cs end
end
if st == '' then st = 'online' end
redis.call('HSET', key, s, st .. '|' .. n .. '|' .. c .. '|1')
redis.call('SADD', p .. 'n:' .. n, a)
local after = combine(key)
show(p, a, after)
return {st, before, after}
",
    )
});

/// The socket at a place ended: its session is in its grace. ARGV: prefix, account,
/// session, node, number.
static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, a, s, n, c = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = p .. 'a:' .. a
local cur = redis.call('HGET', key, s)
if not cur then return 0 end
local cs, cn, cc = string.match(cur, '^([^|]*)|([^|]*)|([^|]*)|')
if cn ~= n or cc ~= c then return 0 end
redis.call('HSET', key, s, cs .. '|' .. n .. '|' .. c .. '|0')
return 1
",
    )
});

/// The grace of a session is over: it goes, if no socket took it up again. ARGV: prefix,
/// account, session, node, number. Answers the ranks before and after.
static EXPIRE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, a, s, n, c = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = p .. 'a:' .. a
local before = combine(key)
local cur = redis.call('HGET', key, s)
if not cur or cur ~= (string.match(cur, '^([^|]*)') .. '|' .. n .. '|' .. c .. '|0') then
  return {before, before}
end
redis.call('HDEL', key, s)
local mine = false
for _, v in ipairs(redis.call('HVALS', key)) do
  if string.match(v, '^[^|]*|([^|]*)|') == n then mine = true end
end
if not mine then redis.call('SREM', p .. 'n:' .. n, a) end
local after = combine(key)
show(p, a, after)
return {before, after}
",
    )
});

/// Says this node is alive. ARGV: prefix, node. Answers 1 if the node was not known (it
/// is new, or it was swept away as dead).
static BEAT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local t = redis.call('TIME')
return redis.call('ZADD', ARGV[1] .. 'nodes', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[2])
",
    )
});

/// Sweeps away the sessions of nodes silent for too long. ARGV: prefix, dead after (ms).
/// Answers account, rank before, rank after, for each person whose status changed.
static SWEEP: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, dead_after = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now - dead_after)) do
  for _, a in ipairs(redis.call('SMEMBERS', p .. 'n:' .. n)) do
    local key = p .. 'a:' .. a
    local before = combine(key)
    local all = redis.call('HGETALL', key)
    for i = 1, #all, 2 do
      if string.match(all[i + 1], '^[^|]*|([^|]*)|') == n then redis.call('HDEL', key, all[i]) end
    end
    local after = combine(key)
    show(p, a, after)
    if before ~= after then
      table.insert(out, a)
      table.insert(out, before)
      table.insert(out, after)
    end
  end
  redis.call('DEL', p .. 'n:' .. n)
  redis.call('ZREM', p .. 'nodes', n)
end
return out
",
    )
});

pub(super) struct Store {
    client: redis::Client,
    prefix: String,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    /// Whether this node beat before.
    beaten: AtomicBool,
}

impl Store {
    pub fn open(url: &str, channel: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            prefix: format!("{channel}:pr:"),
            conn: tokio::sync::Mutex::default(),
            beaten: AtomicBool::new(false),
        })
    }

    async fn conn(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut held = self.conn.lock().await;
        if let Some(conn) = held.as_ref() {
            return Ok(conn.clone());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT);
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *held = Some(conn.clone());
        Ok(conn)
    }

    /// Runs a script on the connection; a broken connection is dropped for the next.
    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
    ) -> redis::RedisResult<T> {
        let mut conn = self.conn().await?;
        let done = invocation.invoke_async(&mut conn).await;
        if let Err(error) = &done
            && (error.is_unrecoverable_error() || error.is_connection_dropped())
        {
            *self.conn.lock().await = None;
        }
        done
    }

    pub async fn put(
        &self,
        account: AccountId,
        session: &str,
        place: &Place,
        status: Option<Status>,
        take: bool,
    ) -> redis::RedisResult<(Status, Option<Change>)> {
        let (written, before, after): (String, u8, u8) = self
            .run(
                PUT.arg(&self.prefix)
                    .arg(account.0)
                    .arg(session)
                    .arg(&*place.node)
                    .arg(place.number)
                    .arg(status.map_or("", Status::as_str))
                    .arg(if take { "1" } else { "0" }),
            )
            .await?;
        let written = Status::parse(&written).unwrap_or(Status::Online);
        Ok((
            written,
            Change::of(account, of_rank(before), of_rank(after)),
        ))
    }

    pub async fn leave(
        &self,
        account: AccountId,
        session: &str,
        place: &Place,
    ) -> redis::RedisResult<()> {
        let _: u8 = self.on_session(&LEAVE, account, session, place).await?;
        Ok(())
    }

    pub async fn expire(
        &self,
        account: AccountId,
        session: &str,
        place: &Place,
    ) -> redis::RedisResult<Option<Change>> {
        let (before, after): (u8, u8) = self.on_session(&EXPIRE, account, session, place).await?;
        Ok(Change::of(account, of_rank(before), of_rank(after)))
    }

    /// Runs a script that takes a socket's session and place.
    async fn on_session<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        account: AccountId,
        session: &str,
        place: &Place,
    ) -> redis::RedisResult<T> {
        self.run(
            script
                .arg(&self.prefix)
                .arg(account.0)
                .arg(session)
                .arg(&*place.node)
                .arg(place.number),
        )
        .await
    }

    /// The statuses of those of `people` not offline: all of the people who are not
    /// offline read at once when they are fewer than those asked about.
    pub async fn statuses(
        &self,
        people: &[AccountId],
    ) -> redis::RedisResult<Vec<(AccountId, Status)>> {
        let mut conn = self.conn().await?;
        let shown = format!("{}shown", self.prefix);
        let present: usize = redis::cmd("HLEN")
            .arg(&shown)
            .query_async(&mut conn)
            .await?;
        if present < people.len() {
            let all: std::collections::HashMap<i64, u8> = redis::cmd("HGETALL")
                .arg(&shown)
                .query_async(&mut conn)
                .await?;
            let asked: HashSet<i64> = people.iter().map(|a| a.0).collect();
            return Ok(all
                .into_iter()
                .filter(|(id, _)| asked.contains(id))
                .filter_map(|(id, rank)| Some((AccountId(id), of_rank(rank)?)))
                .collect());
        }
        let mut found = Vec::new();
        for chunk in people.chunks(CHUNK) {
            let ranks: Vec<Option<u8>> = redis::cmd("HMGET")
                .arg(&shown)
                .arg(chunk.iter().map(|a| a.0).collect::<Vec<_>>())
                .query_async(&mut conn)
                .await?;
            found.extend(
                chunk
                    .iter()
                    .zip(ranks)
                    .filter_map(|(id, rank)| Some((*id, of_rank(rank?)?))),
            );
        }
        Ok(found)
    }

    /// Beats; whether this node had been taken for gone (its sessions swept away).
    async fn beat(&self, node: &str) -> redis::RedisResult<bool> {
        let added: u8 = self.run(BEAT.arg(&self.prefix).arg(node)).await?;
        let first = !self.beaten.swap(true, Ordering::AcqRel);
        Ok(added == 1 && !first)
    }

    async fn sweep(&self) -> redis::RedisResult<Vec<Change>> {
        let out: Vec<i64> = self
            .run(SWEEP.arg(&self.prefix).arg(DEAD_AFTER.as_millis() as u64))
            .await?;
        Ok(out
            .chunks_exact(3)
            .filter_map(|c| {
                let rank = |r: i64| of_rank(u8::try_from(r).ok()?);
                Change::of(AccountId(c[0]), rank(c[1]), rank(c[2]))
            })
            .collect())
    }
}

fn of_rank(rank: u8) -> Option<Status> {
    Status::ALL.get(usize::from(rank).checked_sub(1)?).copied()
}

/// Every [`BEAT_EVERY`]: this node's beat (writing its sessions again if it had been taken
/// for gone) and a sweep of the nodes gone silent.
pub(super) async fn upkeep(presence: Weak<Presence>) {
    let mut every = tokio::time::interval(BEAT_EVERY);
    loop {
        every.tick().await;
        let Some(this) = presence.upgrade() else {
            return;
        };
        if let Err(error) = this.tend().await {
            tracing::warn!(%error, "presence: the beat or the sweep failed");
        }
    }
}

impl Presence {
    pub(super) async fn tend(&self) -> redis::RedisResult<()> {
        let super::Backend::Redis(store) = &self.backend else {
            return Ok(());
        };
        if store.beat(&self.node).await? {
            tracing::warn!(
                "presence: Redis had this node for gone; its sessions are written again"
            );
            for (number, account, session, status) in self.held() {
                let place = Place {
                    node: self.node.clone(),
                    number,
                };
                let (_, change) = store
                    .put(account, &session, &place, Some(status), false)
                    .await?;
                if let Some(change) = change {
                    self.tell((change, None)).await;
                }
            }
        }
        for change in store.sweep().await? {
            self.tell((change, None)).await;
        }
        Ok(())
    }
}

/// The store's connection, for tests that change what Redis holds behind its back.
#[cfg(test)]
pub(super) async fn tests_conn(presence: &Presence) -> MultiplexedConnection {
    let super::Backend::Redis(store) = &presence.backend else {
        panic!("presence in Redis")
    };
    store.conn().await.expect("Redis")
}
