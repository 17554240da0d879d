//! The Lua scripts, one per operation, and the keys they work on.
//!
//! Per account, under `{prefix}{<account id>}:`:
//! - `owners`, a sorted set: every waiter and holder, scored by its ticket, a number drawn from
//!   `counter` when it arrived. The first `max_concurrency` of them hold the slots; the others
//!   wait, in arrival order.
//! - `leases`, a sorted set: the same members, scored by when their lease ends, in Redis's
//!   clock (`TIME`). Every script first drops the expired ones from both sets, so a process
//!   that died holding (or waiting for) a slot loses it when its lease ends.
//! - `counter`: the last ticket drawn.
//! - `caps`, a sorted set: the same members, scored by the cap (`max_concurrency`) each was
//!   configured with. The cap is the smallest present, so replicas configured with different
//!   caps keep the smallest.
//!
//! A script that frees slots tells each waiter that now holds one on its own process's channel
//! `{prefix}{<account id>}:granted:<process>` (a member is named `<process>.<waiter>`), so no
//! other process wakes.

use redis::{Script, ScriptInvocation};

/// Drops expired leases from the sets, and tells the members that became holders. `KEYS[1]`
/// owners, `KEYS[2]` leases, `KEYS[3]` counter, `KEYS[4]` caps, `ARGV[2]` max_concurrency,
/// `ARGV[3]` the grant channels' prefix: a member `<process>.<waiter>` is told on
/// `ARGV[3]<process>`, so only its own process wakes.
///
/// The cap is the smallest of the caps the present members were configured with (`caps`, a
/// sorted set of member by cap), so that replicas configured with different caps together keep
/// the smallest; `ARGV[2]` only when no member says.
///
/// A process given a slot has its turn: its other waiters move to the front of the queue, just
/// behind the holders (`promote`), so the slots freed next go to it too and one process sends
/// at a time, its requests together. When its turn ends (`demote`, asked for by the process),
/// its waiters draw new tickets, behind everyone's.
const PURGE: &str = r"
local function process_of(member)
  return string.match(member, '^([^.]*)%.')
end
local function cap()
  while true do
    local lowest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    if #lowest == 0 then
      return tonumber(ARGV[2])
    end
    -- A member gone without its cap (dropped by a version of these scripts that did not
    -- know caps) no longer counts.
    if redis.call('ZSCORE', KEYS[1], lowest[1]) then
      return tonumber(lowest[2])
    end
    redis.call('ZREM', KEYS[4], lowest[1])
  end
end
local function holders()
  return redis.call('ZRANGE', KEYS[1], 0, cap() - 1)
end
local function waiters_of(process)
  local waiting = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], cap(), -1)) do
    if process_of(member) == process then
      waiting[#waiting + 1] = member
    end
  end
  return waiting
end
local function promote(process)
  local last = redis.call('ZRANGE', KEYS[1], cap() - 1, cap() - 1, 'WITHSCORES')
  if #last == 0 then
    return
  end
  -- Behind every holder (so none is displaced), ahead of the tickets drawn since, in the
  -- order they were in.
  local waiting = waiters_of(process)
  for i, member in ipairs(waiting) do
    redis.call('ZADD', KEYS[1], tonumber(last[2]) + 0.5 * i / (#waiting + 1), member)
  end
end
local function demote(process)
  for _, member in ipairs(waiters_of(process)) do
    redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), member)
  end
end
local function publish_granted(before)
  local held = {}
  for _, member in ipairs(before) do
    held[member] = true
  end
  local granted = {}
  for _, member in ipairs(holders()) do
    local process = process_of(member)
    if not held[member] and process then
      redis.call('PUBLISH', ARGV[3] .. process, member)
      granted[#granted + 1] = process
    end
  end
  for _, process in ipairs(granted) do
    promote(process)
  end
end
local function purge(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  if #expired == 0 then
    return
  end
  local before = holders()
  for _, member in ipairs(expired) do
    redis.call('ZREM', KEYS[1], member)
    redis.call('ZREM', KEYS[4], member)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  publish_granted(before)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
";

/// Joins the queue (or renews a place in it) and says whether the place holds a slot; a
/// member joining during its process's turn joins at the front (`promote`), and one granted
/// brings its process's other waiters there.
/// KEYS: owners, leases, counter, caps. ARGV: member, max_concurrency (recorded as the member's
/// cap), channel prefix, lease in ms, 1 if the member's process is in its turn. Returns {1 if a
/// slot is held else 0, the rank}.
const ACQUIRE: &str = r"
purge(now)
local joined = false
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
  joined = true
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[2]), ARGV[1])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank < cap() then
  if joined then
    promote(process_of(ARGV[1]))
  end
  return {1, rank}
end
if joined and ARGV[5] == '1' then
  promote(process_of(ARGV[1]))
  rank = redis.call('ZRANK', KEYS[1], ARGV[1])
end
return {0, rank}
";

/// Extends a held lease; 0 if it is gone (expired, or Redis lost it).
/// KEYS: owners, leases, counter (unused), caps. ARGV: member, lease in ms.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
";

/// Leaves the queue, freeing the slot if one was held, and tells the waiter that got it (a
/// waiter leaving tells nobody). A holder whose process's turn is over first sends that
/// process's waiters to the back (`demote`), so the slot goes to another process.
/// KEYS: owners, leases, counter, caps. ARGV: member, max_concurrency, channel prefix, 1 if
/// the process's turn is over.
const RELEASE: &str = r"
purge(now)
if ARGV[4] == '1' then
  demote(process_of(ARGV[1]))
end
local before = holders()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
publish_granted(before)
return 1
";

/// With no turns, a grant brings no other waiter forward and a turn's end sends none back:
/// built only to measure turns against their absence (`--cfg bulletins_without="turns"`).
#[cfg(bulletins_without = "turns")]
const NO_TURNS: &str = "promote = function() end\ndemote = function() end\n";
#[cfg(not(bulletins_without = "turns"))]
const NO_TURNS: &str = "";

/// The three scripts, each invoked with its keys and arguments in the order its Lua expects.
pub(super) struct Scripts {
    acquire: Script,
    renew: Script,
    release: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            acquire: Script::new(&format!("{PURGE}{NO_TURNS}{ACQUIRE}")),
            renew: Script::new(RENEW),
            release: Script::new(&format!("{PURGE}{NO_TURNS}{RELEASE}")),
        }
    }

    /// Joins the queue as `member` (or renews its place) for a lease of `lease_ms`; answers
    /// `(1 if granted else 0, rank)`.
    pub(super) fn acquire(
        &self,
        keys: &Keys,
        member: &str,
        max_concurrency: usize,
        lease_ms: u64,
        in_turn: bool,
    ) -> ScriptInvocation<'_> {
        let mut invocation = invoke(&self.acquire, keys);
        invocation
            .arg(member)
            .arg(max_concurrency)
            .arg(&keys.granted)
            .arg(lease_ms)
            .arg(u8::from(in_turn));
        invocation
    }

    /// Extends `member`'s lease to `lease_ms` from now; answers 1, or 0 if it is gone.
    pub(super) fn renew(&self, keys: &Keys, member: &str, lease_ms: u64) -> ScriptInvocation<'_> {
        let mut invocation = invoke(&self.renew, keys);
        invocation.arg(member).arg(lease_ms);
        invocation
    }

    /// Takes `member` out of the queue, first sending its process's waiters to the back when
    /// `turn_over`; answers 1.
    pub(super) fn release(
        &self,
        keys: &Keys,
        member: &str,
        max_concurrency: usize,
        turn_over: bool,
    ) -> ScriptInvocation<'_> {
        let mut invocation = invoke(&self.release, keys);
        invocation
            .arg(member)
            .arg(max_concurrency)
            .arg(&keys.granted)
            .arg(u8::from(turn_over));
        invocation
    }
}

/// The keys of one account.
#[derive(Clone)]
pub(super) struct Keys {
    owners: String,
    pub(super) leases: String,
    counter: String,
    /// Each present member's cap, the `max_concurrency` it was configured with.
    caps: String,
    /// The prefix of the channels grants are published on: one per process, its id appended.
    granted: String,
}

impl Keys {
    pub(super) fn new(prefix: &str, account_id: &str) -> Self {
        let base = format!("{prefix}{{{account_id}}}");
        Self {
            owners: format!("{base}:owners"),
            leases: format!("{base}:leases"),
            counter: format!("{base}:counter"),
            caps: format!("{base}:caps"),
            granted: format!("{base}:granted:"),
        }
    }
}

/// A unique member name, `<process>.<waiter>`: random, so processes never collide; its
/// process part names the channel its grant is published on.
pub(super) fn member_id(process: &str) -> String {
    format!("{process}.{:032x}", rand::random::<u128>())
}

/// The pattern of the channels on which `process`'s grants come, for every account under
/// `key_prefix`.
pub(super) fn grants_pattern(key_prefix: &str, process: &str) -> String {
    format!("{}*:granted:{process}", glob_escape(key_prefix))
}

/// `text` with Redis's glob characters escaped.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `script` called with the four keys every script reads, in the order their `KEYS` expect.
fn invoke<'a>(script: &'a Script, keys: &Keys) -> ScriptInvocation<'a> {
    let mut invocation = script.key(&keys.owners);
    invocation
        .key(&keys.leases)
        .key(&keys.counter)
        .key(&keys.caps);
    invocation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_keys_share_one_cluster_slot_under_the_prefix() {
        let keys = Keys::new("app:", "ABCD-RSTU-1234");
        assert_eq!(keys.owners, "app:{ABCD-RSTU-1234}:owners");
        assert_eq!(keys.leases, "app:{ABCD-RSTU-1234}:leases");
        assert_eq!(keys.counter, "app:{ABCD-RSTU-1234}:counter");
        assert_eq!(keys.caps, "app:{ABCD-RSTU-1234}:caps");
        // A grant goes to the channel named after the part of the member before its dot.
        assert_eq!(keys.granted, "app:{ABCD-RSTU-1234}:granted:");
        let member = member_id("00c0ffee00c0ffee");
        assert_eq!(
            member.split_once('.').map(|(p, _)| p),
            Some("00c0ffee00c0ffee")
        );
    }
}
