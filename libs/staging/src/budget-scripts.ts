/**
 * Lua scripts of the staged-byte budgets (a tenant's `maxStagedBytes`, the global one). Each
 * touches the four keys of one budget, under one hash tag (`keys.ts`: staged, reserved, lapse,
 * totals), so they run on Redis Cluster too. Every script first prunes the entries whose time in
 * `lapse` has passed on Redis's own clock (TIME), so instances with skewed clocks agree, and a
 * reservation whose process died stops counting once its lease ends. Each entry is pruned once:
 * the work is paid for by the writes that created the entries.
 *
 * KEYS of every script: staged, reserved, lapse, totals.
 */

/** Redis TIME in ms as `now`, the lapsed entries pruned, and `keep(ms)` to extend the four keys. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function figure(v)
  if not v or v == 'gone' then return 0 end
  return tonumber(string.match(v, '^(%d+):'))
end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, m in ipairs(lapsed) do
  local id = string.sub(m, 3)
  if string.sub(m, 1, 1) == 'w' then
    local held = redis.call('HGET', KEYS[2], id)
    if held then
      redis.call('HDEL', KEYS[2], id)
      redis.call('HINCRBY', KEYS[4], 'reserved', -tonumber(held))
    end
  else
    local v = redis.call('HGET', KEYS[1], id)
    if v then
      redis.call('HDEL', KEYS[1], id)
      redis.call('HINCRBY', KEYS[4], 'staged', -figure(v))
    end
  end
end
if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now) end
local function keep(ms)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ms) end
end
local function drop(write)
  local held = redis.call('HGET', KEYS[2], write)
  if not held then return end
  redis.call('HDEL', KEYS[2], write)
  redis.call('HINCRBY', KEYS[4], 'reserved', -tonumber(held))
  redis.call('ZREM', KEYS[3], 'w:' .. write)
end
`;

/**
 * Sets the bytes a chunk write holds reserved on the budget (set, not added to), checked against
 * the limit in the same step, so writes admitted at the same moment never pass it together:
 * staged figures plus every live reservation stay within the limit. Leased until now + lease.
 * A renewal (limit -1) extends a live reservation unchecked and never brings back one that lapsed
 * or was settled.
 * ARGV: write id, bytes, limit (-1: renewal), lease ms, keep ms (the keys' idle life).
 * Returns {'ok'} | {'lapsed'} | {'full', staged bytes, bytes other writes hold reserved}.
 */
export const BUDGET_RESERVE = `${PRELUDE}
local held = redis.call('HGET', KEYS[2], ARGV[1])
local limit = tonumber(ARGV[3])
if limit < 0 and not held then return {'lapsed'} end
local bytes, mine = tonumber(ARGV[2]), tonumber(held or '0')
local totals = redis.call('HMGET', KEYS[4], 'staged', 'reserved')
local staged = tonumber(totals[1] or '0')
local others = tonumber(totals[2] or '0') - mine
if limit >= 0 and staged + others + bytes > limit then
  return {'full', string.format('%d', staged), string.format('%d', others)}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[4], 'reserved', bytes - mine)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), 'w:' .. ARGV[1])
keep(ARGV[5])
return {'ok'}
`;

/**
 * Drops a chunk write's reservation on the budget; nothing when it is gone.
 * ARGV: write id.
 */
export const BUDGET_RELEASE = `${PRELUDE}
drop(ARGV[1])
return 0
`;

/**
 * Sets an upload's staged-byte figure in the budget, and drops the write's reservation whose
 * bytes the figure now holds. The figure is set, never added to, and only when its sequence
 * number is above the one the entry holds: a repeated, replayed or overtaken update changes
 * nothing. 'gone' (the upload was deleted) leaves a tombstone of 0 bytes that no update brings
 * back until it lapses. The running total follows in the same step.
 * ARGV: upload id, bytes, seq | 'gone', write id ('' for none), entry life ms, keep ms.
 * Returns 1 when the figure changed, else 0.
 */
export const BUDGET_SET = `${PRELUDE}
if ARGV[4] ~= '' then drop(ARGV[4]) end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == 'gone' then return 0 end
local was, seq = 0, -1
if current then
  local b, s = string.match(current, '^(%d+):(%d+)$')
  was, seq = tonumber(b), tonumber(s)
end
local gone = ARGV[3] == 'gone'
if not gone and tonumber(ARGV[3]) <= seq then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], gone and 'gone' or (ARGV[2] .. ':' .. ARGV[3]))
redis.call('HINCRBY', KEYS[4], 'staged', (gone and 0 or tonumber(ARGV[2])) - was)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), 'u:' .. ARGV[1])
keep(ARGV[6])
return 1
`;

/**
 * The budget's use: the sum of its uploads' figures and of its live reservations.
 * Returns {staged bytes, reserved bytes}.
 */
export const BUDGET_USAGE = `${PRELUDE}
local totals = redis.call('HMGET', KEYS[4], 'staged', 'reserved')
return {totals[1] or '0', totals[2] or '0'}
`;
