//! Presence across nodes, in Redis. Keys, under `<REDIS channel>:pr:`:
//! - `a:<account>`: hash, session → `status|node|number` (the socket holding it).
//! - `st:<session>`: the status of a session without a socket, for a resume (expires).
//! - `shown`: hash, account → its status's rank (1 idle … 4 invisible), for those not offline.
//! - `n:<node>`: set, the accounts that had a session on that node.
//! - `nodes`: sorted set, node → the Redis time (ms) of its last beat.
//!
//! Every change of a person's sessions is one script, which answers the person's status
//! before and after it.

use super::{Held, Place, Presence, REMEMBERED};
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
/// People read per command when reading presences, and swept per script.
const CHUNK: usize = 500;

/// The statuses by rank (0 is offline), a person's status made of their sessions', and the
/// writing of it where others read it.
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
local function place(v)
  return string.match(v, '^[^|]*|([^|]*)|([^|]*)$')
end
local function settle(p, a, before, out)
  local after = combine(p .. 'a:' .. a)
  show(p, a, after)
  if before ~= after then
    table.insert(out, a)
    table.insert(out, before)
    table.insert(out, after)
  end
end
";

fn script(body: &str) -> Script {
    Script::new(&format!("{COMBINE}{body}"))
}

/// Writes a session's status at a socket's place. ARGV: prefix, account, session, node,
/// number, status ('' keeps the session's, or the one remembered, or `online`), take ('1':
/// whoever held it; '0': only if no other socket does), remembered for (s). Answers the
/// status written and the ranks before and after.
static PUT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, a, s, n, c, st, take, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local key = p .. 'a:' .. a
local before = combine(key)
local cur = redis.call('HGET', key, s)
if cur then
  local cs = string.match(cur, '^([^|]*)')
  local cn, cc = place(cur)
  if take ~= '1' and (cn ~= n or cc ~= c) then return {cs, before, before} end
  if st == '' then st = cs end
end
if st == '' then st = redis.call('GET', p .. 'st:' .. s) or 'online' end
redis.call('HSET', key, s, st .. '|' .. n .. '|' .. c)
redis.call('SADD', p .. 'n:' .. n, a)
redis.call('SET', p .. 'st:' .. s, st, 'EX', keep)
local after = combine(key)
show(p, a, after)
return {st, before, after}
",
    )
});

/// The grace of a socket's session is over: it goes (its status remembered), if no other
/// socket took it up. ARGV: prefix, account, session, node, number, remembered for (s).
/// Answers the ranks before and after.
static EXPIRE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, a, s, n, c, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local key = p .. 'a:' .. a
local before = combine(key)
local cur = redis.call('HGET', key, s)
if not cur then return {before, before} end
local cn, cc = place(cur)
if cn ~= n or cc ~= c then return {before, before} end
redis.call('HDEL', key, s)
redis.call('SET', p .. 'st:' .. s, string.match(cur, '^([^|]*)'), 'EX', keep)
local after = combine(key)
show(p, a, after)
return {before, after}
",
    )
});

/// Says this node is alive. ARGV: prefix, node, how long ago (ms) to say it was (0, or
/// nearly the time after which it is dead, for a node that stops). Answers 1 if the node
/// was not known (it is new, or it was swept away as dead).
static BEAT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZADD', ARGV[1] .. 'nodes', now - tonumber(ARGV[3]), ARGV[2])
",
    )
});

/// Sweeps away the sessions of a batch of the people of nodes silent for too long. ARGV:
/// prefix, dead after (ms), batch, remembered for (s). Answers whether more remain, then
/// account, rank before, rank after, for each person whose status changed.
static SWEEP: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, dead_after, batch, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local out = {0}
local left = batch
for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now - dead_after)) do
  if left <= 0 then out[1] = 1 break end
  local set = p .. 'n:' .. n
  for _, a in ipairs(redis.call('SPOP', set, left)) do
    left = left - 1
    local key = p .. 'a:' .. a
    local before = combine(key)
    local all = redis.call('HGETALL', key)
    for i = 1, #all, 2 do
      if place(all[i + 1]) == n then
        redis.call('HDEL', key, all[i])
        redis.call('SET', p .. 'st:' .. all[i], string.match(all[i + 1], '^([^|]*)'), 'EX', keep)
      end
    end
    settle(p, a, before, out)
  end
  if redis.call('SCARD', set) == 0 then redis.call('ZREM', p .. 'nodes', n) else out[1] = 1 end
end
return out
",
    )
});

/// Makes the store hold exactly this node's sockets: its entries of sockets it no longer
/// holds go, and those of its open sockets that are missing (swept while it was alive, or
/// a write that failed) are written; entries it holds are left as they are (a change made
/// since is newer than the list). ARGV: prefix, node, then for each socket held: number,
/// account, session, status, open ('1') or in its grace ('0'). Answers account, rank
/// before, rank after, for each person whose status changed.
static REPAIR: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local p, n = ARGV[1], ARGV[2]
local held, touched = {}, {}
for i = 3, #ARGV, 5 do
  held[ARGV[i]] = true
  local a = ARGV[i + 1]
  if touched[a] == nil then touched[a] = combine(p .. 'a:' .. a) end
end
for _, a in ipairs(redis.call('SMEMBERS', p .. 'n:' .. n)) do
  local key = p .. 'a:' .. a
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local cn, cc = place(all[i + 1])
    if cn == n and not held[cc] then
      if touched[a] == nil then touched[a] = combine(key) end
      redis.call('HDEL', key, all[i])
    end
  end
end
for i = 3, #ARGV, 5 do
  local c, a, s, st, open = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local key = p .. 'a:' .. a
  if open == '1' and not redis.call('HGET', key, s) then
    redis.call('HSET', key, s, st .. '|' .. n .. '|' .. c)
    redis.call('SADD', p .. 'n:' .. n, a)
  end
end
local out = {}
for a, before in pairs(touched) do settle(p, a, before, out) end
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
                    .arg(if take { "1" } else { "0" })
                    .arg(REMEMBERED.as_secs()),
            )
            .await?;
        let written = Status::parse(&written).unwrap_or(Status::Online);
        Ok((
            written,
            Change::of(account, of_rank(before), of_rank(after)),
        ))
    }

    pub async fn expire(
        &self,
        account: AccountId,
        session: &str,
        place: &Place,
    ) -> redis::RedisResult<Option<Change>> {
        let (before, after): (u8, u8) = self
            .run(
                EXPIRE
                    .arg(&self.prefix)
                    .arg(account.0)
                    .arg(session)
                    .arg(&*place.node)
                    .arg(place.number)
                    .arg(REMEMBERED.as_secs()),
            )
            .await?;
        Ok(Change::of(account, of_rank(before), of_rank(after)))
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
        let added: u8 = self.run(BEAT.arg(&self.prefix).arg(node).arg(0)).await?;
        let first = !self.beaten.swap(true, Ordering::AcqRel);
        Ok(added == 1 && !first)
    }

    /// This node stops: its last beat is dated so that it is taken for dead once `grace`
    /// has passed.
    pub async fn leaving(&self, node: &str, grace: Duration) -> redis::RedisResult<()> {
        let ago = DEAD_AFTER.saturating_sub(grace).as_millis() as u64;
        let _: u8 = self.run(BEAT.arg(&self.prefix).arg(node).arg(ago)).await?;
        Ok(())
    }

    /// Sweeps the people of dead nodes, a batch at a time.
    async fn sweep(&self) -> redis::RedisResult<Vec<Change>> {
        let mut changes = Vec::new();
        loop {
            let swept: redis::RedisResult<Vec<i64>> = self
                .run(
                    SWEEP
                        .arg(&self.prefix)
                        .arg(DEAD_AFTER.as_millis() as u64)
                        .arg(CHUNK)
                        .arg(REMEMBERED.as_secs()),
                )
                .await;
            // The batches swept before a failure are told all the same.
            let out = match swept {
                Ok(out) => out,
                Err(error) if changes.is_empty() => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "presence: a sweep stopped half-way; it goes on at the next beat");
                    return Ok(changes);
                }
            };
            let Some((more, found)) = out.split_first() else {
                return Ok(changes);
            };
            changes.extend(changes_of(found));
            if *more == 0 {
                return Ok(changes);
            }
        }
    }

    /// Writes this node's sockets again, as they stand.
    async fn repair(&self, node: &str, held: &[(u64, Held)]) -> redis::RedisResult<Vec<Change>> {
        let mut repair = REPAIR.prepare_invoke();
        repair.arg(&self.prefix).arg(node);
        for (number, held) in held {
            repair
                .arg(number)
                .arg(held.account.0)
                .arg(&*held.session)
                .arg(held.status.as_str())
                .arg(if held.open { "1" } else { "0" });
        }
        let out: Vec<i64> = self.run(&mut repair).await?;
        Ok(changes_of(&out))
    }
}

/// The changes a script answered: account, rank before, rank after, each.
fn changes_of(out: &[i64]) -> Vec<Change> {
    let rank = |r: i64| of_rank(u8::try_from(r).ok()?);
    out.chunks_exact(3)
        .filter_map(|c| Change::of(AccountId(c[0]), rank(c[1]), rank(c[2])))
        .collect()
}

fn of_rank(rank: u8) -> Option<Status> {
    Status::ALL.get(usize::from(rank).checked_sub(1)?).copied()
}

/// Every [`BEAT_EVERY`]: this node's beat, the repair of what the store holds of it when
/// it was taken for gone or a write failed, and a sweep of the nodes gone silent.
pub(super) async fn upkeep(presence: Weak<Presence>) {
    let mut every = tokio::time::interval(BEAT_EVERY);
    loop {
        every.tick().await;
        let Some(this) = presence.upgrade() else {
            return;
        };
        if this.stopping.load(Ordering::Acquire) {
            return;
        }
        if let Err(error) = this.tend().await {
            this.failures.fetch_add(1, Ordering::AcqRel);
            tracing::warn!(%error, "presence: the beat, the repair or the sweep failed");
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
            self.failures.fetch_add(1, Ordering::AcqRel);
        }
        let failures = self.failures.load(Ordering::Acquire);
        if failures != self.repaired.load(Ordering::Acquire) {
            let repaired = store.repair(&self.node, &self.held()).await?;
            self.repaired.store(failures, Ordering::Release);
            self.tell_later(repaired);
        }
        self.tell_later(store.sweep().await?);
        Ok(())
    }

    /// Told by a task of their own: a sweep of a large node must not hold up the next beat
    /// (this node would be taken for dead in turn).
    fn tell_later(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let tell = self.changes.clone();
        tokio::spawn(async move {
            for change in changes {
                let _ = tell.send((change, None)).await;
            }
        });
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
