//! The Redis keys of the gateway between nodes, and the Lua scripts that change several of
//! them at once. A script runs atomically: two dispatches reach every node's stream in the
//! same order, and a takeover cuts a session's stream at one exact place.
//!
//! Keys, under the prefix (`<REDIS channel>:gw:`):
//! - `nodes`: sorted set, node id → the Redis time (ms) of its last heartbeat.
//! - `node:<node>`: stream, the dispatches routed to that node, in the order it applies them.
//! - `int:s:<server>`, `int:a:<account>`: set, the nodes with sessions of that scope.
//! - `sess:<session>`: hash, `node` (which one numbers the session now), `account`, `tv`.
//! - `ck:<session>:<node>`: list, that node's checkpoints of the session, oldest first.

use redis::Script;
use std::sync::LazyLock;

/// Routes one entry to every live node with a session of its scopes. For a join, the
/// joiner's nodes are first made nodes of the server: no event of the server can pass them
/// between the join and their next registration. Dead nodes found on the way are dropped from
/// the sets. ARGV: prefix, dead after (ms), stream cap, entry, joiner's account or "",
/// joined server or "", scopes… Answers how many nodes it reached.
pub static ROUTE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, dead_after, cap, entry, ja, js = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local t = redis.call('TIME')
local dead = t[1] * 1000 + math.floor(t[2] / 1000) - dead_after
local alive, to = {}, {}
local function live(n)
  if alive[n] == nil then
    local s = redis.call('ZSCORE', p .. 'nodes', n)
    alive[n] = (s ~= false and tonumber(s) >= dead)
  end
  return alive[n]
end
local function route(set)
  for _, n in ipairs(redis.call('SMEMBERS', set)) do
    if live(n) then to[n] = true else redis.call('SREM', set, n) end
  end
end
if ja ~= '' then
  for _, n in ipairs(redis.call('SMEMBERS', p .. 'int:a:' .. ja)) do
    if live(n) then redis.call('SADD', p .. 'int:s:' .. js, n) end
  end
end
for i = 7, #ARGV do route(p .. 'int:' .. ARGV[i]) end
local reached = 0
for n, _ in pairs(to) do
  redis.call('XADD', p .. 'node:' .. n, 'MAXLEN', '~', cap, '*', 'e', entry)
  reached = reached + 1
end
return reached
",
    )
});

/// Adds an entry to every live node's stream (a gap: events may have been lost). ARGV:
/// prefix, dead after (ms), stream cap, entry.
pub static EVERY_NODE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, dead_after, cap, entry = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local t = redis.call('TIME')
local dead = t[1] * 1000 + math.floor(t[2] / 1000) - dead_after
local reached = 0
for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', dead, '+inf')) do
  redis.call('XADD', p .. 'node:' .. n, 'MAXLEN', '~', cap, '*', 'e', entry)
  reached = reached + 1
end
return reached
",
    )
});

/// The node says it is alive, and the streams of nodes dead for long are deleted. If it had
/// said so before (not its first heartbeat) but Redis has it for dead (not heard of for the
/// dead-after time, or forgotten), nothing was routed to it meanwhile: a gap entry goes into
/// its stream in the same step. ARGV: prefix, node, forget after (ms), first ('1' or '0'),
/// dead after (ms), gap entry, stream cap. Answers `{Redis's time (ms), 1 if a gap was
/// added}`.
pub static HEARTBEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, me, forget = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local before = redis.call('ZSCORE', p .. 'nodes', me)
redis.call('ZADD', p .. 'nodes', now, me)
for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '-inf', now - forget)) do
  redis.call('DEL', p .. 'node:' .. n, p .. 'ctl:' .. n, p .. 'round:' .. n)
  redis.call('ZREM', p .. 'nodes', n)
end
if ARGV[4] == '0' and (before == false or tonumber(before) < now - tonumber(ARGV[5])) then
  redis.call('XADD', p .. 'node:' .. me, 'MAXLEN', '~', ARGV[7], '*', 'e', ARGV[6])
  return {now, 1}
end
return {now, 0}
",
    )
});

/// Records a checkpoint of a session this node numbers (or a new one), unless another node
/// has taken it over, or the last one recorded is at a later place (written concurrently):
/// the list stays in the stream's order. ARGV: prefix, node, ttl (s), checkpoints kept,
/// session, account, token version, checkpoint, its place's two numbers, 1 if the session
/// is new (else it must be this node's already). Answers 1 if written.
pub static CHECKPOINT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, me, ttl, kept, id = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local key = p .. 'sess:' .. id
local owner = redis.call('HGET', key, 'node')
if owner ~= me and not (owner == false and ARGV[11] == '1') then return 0 end
redis.call('HSET', key, 'node', me, 'account', ARGV[6], 'tv', ARGV[7])
local ck = p .. 'ck:' .. id .. ':' .. me
local last = redis.call('LINDEX', ck, -1)
if last then
  local ms, n = string.match(last, '^%d+ (%d+)%-(%d+)')
  local at_ms, at_n = tonumber(ARGV[9]), tonumber(ARGV[10])
  if ms and (tonumber(ms) > at_ms or (tonumber(ms) == at_ms and tonumber(n) > at_n)) then
    return 0
  end
end
redis.call('RPUSH', ck, ARGV[8])
redis.call('LTRIM', ck, -kept, -1)
redis.call('EXPIRE', key, ttl)
redis.call('EXPIRE', ck, ttl)
return 1
",
    )
});

/// Forgets a session this node numbered (ended, or expired), unless another node has taken
/// it over. ARGV: prefix, node, session.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, me, id = ARGV[1], ARGV[2], ARGV[3]
local key = p .. 'sess:' .. id
if redis.call('HGET', key, 'node') == me then redis.call('DEL', key) end
redis.call('DEL', p .. 'ck:' .. id .. ':' .. me)
return 1
",
    )
});

/// Takes a session over from the node that numbers it, if that node still does and is alive
/// enough for its stream to be whole: the session's dispatches are in the old node's stream
/// up to its last entry now (the cut), and in the new node's after its last entry now (the
/// new node registered the session's scopes before). The old node is told on its control
/// stream, with the takeover's number (its generation: a node the session came back to
/// ignores older notices). ARGV: prefix, session, old node, new node, dead after (ms).
/// Answers `{cut, last id of the new node's stream, generation}`, or nil.
pub static TAKE_OVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, id, from, to, dead_after = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = p .. 'sess:' .. id
if redis.call('HGET', key, 'node') ~= from then return nil end
local t = redis.call('TIME')
local seen = redis.call('ZSCORE', p .. 'nodes', from)
if seen == false or tonumber(seen) < t[1] * 1000 + math.floor(t[2] / 1000) - dead_after then
  return nil
end
local cut = redis.call('XREVRANGE', p .. 'node:' .. from, '+', '-', 'COUNT', 1)
local last = redis.call('XREVRANGE', p .. 'node:' .. to, '+', '-', 'COUNT', 1)
if #cut == 0 or #last == 0 then return nil end
redis.call('HSET', key, 'node', to)
local gen = redis.call('HINCRBY', key, 'gen', 1)
redis.call('DEL', p .. 'ck:' .. id .. ':' .. to)
redis.call('XADD', p .. 'ctl:' .. from, 'MAXLEN', '~', 10000, '*', 's', id, 'g', gen)
return {cut[1][1], last[1][1], gen}
",
    )
});

/// Takes the node out of interest sets, and says so in its stream in the same step (see
/// `Entry::Unregistered`). ARGV: prefix, node, stream cap, entry, scopes…
pub static UNREGISTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, me, cap, entry = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
for i = 5, #ARGV do redis.call('SREM', p .. 'int:' .. ARGV[i], me) end
redis.call('XADD', p .. 'node:' .. me, 'MAXLEN', '~', cap, '*', 'e', entry)
return 1
",
    )
});

/// Every script, loaded on each new connection.
pub static ALL: [&LazyLock<Script>; 7] = [
    &UNREGISTER,
    &ROUTE,
    &EVERY_NODE,
    &HEARTBEAT,
    &CHECKPOINT,
    &RELEASE,
    &TAKE_OVER,
];

/// The keys under one prefix.
#[derive(Clone, Debug)]
pub struct Keys {
    pub prefix: String,
}

impl Keys {
    /// The gateway's keys of the installation whose Redis channel is `channel`.
    pub fn under(channel: &str) -> Self {
        Self {
            prefix: format!("{channel}:gw:"),
        }
    }

    pub fn stream(&self, node: &str) -> String {
        format!("{}node:{node}", self.prefix)
    }

    /// The place of the node's last round of checkpoints.
    pub fn round(&self, node: &str) -> String {
        format!("{}round:{node}", self.prefix)
    }

    /// The node's control stream: the sessions taken over from it.
    pub fn control(&self, node: &str) -> String {
        format!("{}ctl:{node}", self.prefix)
    }

    pub fn interest(&self, scope: &str) -> String {
        format!("{}int:{scope}", self.prefix)
    }

    pub fn session(&self, session: &str) -> String {
        format!("{}sess:{session}", self.prefix)
    }

    pub fn checkpoints(&self, session: &str, node: &str) -> String {
        format!("{}ck:{session}:{node}", self.prefix)
    }
}
