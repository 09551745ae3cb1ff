/**
 * Lua scripts that change an upload's state atomically. Each touches only keys of
 * one upload (one hash tag), so they run on Redis Cluster too.
 */

/**
 * Reserves bytes of an upload's staging cap for one chunk write, in one step with the check,
 * so writes admitted at the same moment can never pass the cap together. The write's
 * reservation is set to `bytes` (not added to) and leased until now + lease: a process that
 * dies mid-write leaks nothing for longer than the lease. Lapsed leases are dropped here.
 * Over the cap, the one chunk that fills the first gap with chunks staged after it is still
 * taken: staged bytes leave only when parts are stored, and those parts need it.
 * The lease clock is Redis's own (TIME), so instances with skewed clocks agree on it.
 * A renewal (cap -1) extends a live reservation unchecked, and never brings back one that
 * lapsed or was committed. A reservation taken marks on the meta which staged-byte budgets
 * count the upload ('t' its tenant's, 'g' the global one), so that its releases and its deletion
 * update them (`keys.ts`).
 * KEYS: meta, chunks, reservations. ARGV: write id, bytes, cap (-1: renewal), chunk, lease ms,
 * budgets ('', 't', 'g' or 'tg').
 * Returns {'ok'} | {'missing'} | {'status', status} | {'lapsed'}
 * | {'full', staged bytes, bytes reserved by other writes, first gap, '1' when chunks wait behind it}.
 */
export const RESERVE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'open' then return {'status', status} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local bytes, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local others = 0
local entries = redis.call('HGETALL', KEYS[3])
for i = 1, #entries, 2 do
  local held, lease = string.match(entries[i + 1], '^(%d+):(%d+)$')
  if tonumber(lease) <= now then
    redis.call('HDEL', KEYS[3], entries[i])
  elseif entries[i] ~= ARGV[1] then
    others = others + tonumber(held)
  end
end
if cap < 0 and not redis.call('HGET', KEYS[3], ARGV[1]) then return {'lapsed'} end
local staged = tonumber(redis.call('HGET', KEYS[1], 'stagedBytes') or '0')
if cap >= 0 and staged + others + bytes > cap then
  local have, highest = {}, -1
  for _, n in ipairs(redis.call('HKEYS', KEYS[2])) do
    local c = tonumber(n)
    have[c] = true
    if c > highest then highest = c end
  end
  local gap = 0
  while have[gap] do gap = gap + 1 end
  if not (tonumber(ARGV[4]) == gap and highest > gap) then
    return {'full', tostring(staged), tostring(others), tostring(gap), highest > gap and '1' or '0'}
  end
end
redis.call('HSET', KEYS[3], ARGV[1], string.format('%d:%d', bytes, now + tonumber(ARGV[5])))
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if cap >= 0 and ARGV[6] ~= '' then
  if string.find(ARGV[6], 't', 1, true) then redis.call('HSET', KEYS[1], 'budget.tenant', '1') end
  if string.find(ARGV[6], 'g', 1, true) then redis.call('HSET', KEYS[1], 'budget.global', '1') end
end
return {'ok'}
`;

/**
 * Records a fully staged chunk if the upload is open and the chunk still holds the
 * write the caller saw (compare-and-set on the write id: '' for "no chunk yet"). The
 * write's reservation (RESERVE) becomes staged bytes in the same step, and the staged-bytes
 * figure gets its next sequence number (`stagedSeq`, what the budgets order updates by).
 * KEYS: meta, chunks, reservations. ARGV: chunk, record JSON, expected write id, size, ttl ms,
 * now ms, write id.
 * Returns {'ok', staged bytes, seq} | {'missing'} | {'status', status} | {'raced', current JSON}.
 */
export const COMMIT_CHUNK = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'open' then return {'status', status} end
local current = redis.call('HGET', KEYS[2], ARGV[1])
local currentWrite, currentSize = '', 0
if current then
  local r = cjson.decode(current)
  currentWrite, currentSize = r.writeId, r.size
end
if currentWrite ~= ARGV[3] then return {'raced', current} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[7])
local staged = redis.call('HINCRBY', KEYS[1], 'stagedBytes', tonumber(ARGV[4]) - currentSize)
local seq = redis.call('HINCRBY', KEYS[1], 'stagedSeq', 1)
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[6])
if tonumber(redis.call('HGET', KEYS[1], 'firstChunkAt')) == 0 then
  redis.call('HSET', KEYS[1], 'firstChunkAt', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {'ok', string.format('%d', staged), string.format('%d', seq)}
`;

/**
 * Marks a chunk's event durable, if the chunk still holds that write.
 * KEYS: chunks. ARGV: chunk, write id.
 */
export const MARK_CHUNK_EMITTED = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local r = cjson.decode(current)
if r.writeId ~= ARGV[2] then return 0 end
r.emitted = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(r))
return 1
`;

/**
 * Seals an open upload with its chunk count and optional whole-file SHA-256. Sealing
 * again with the same values is a no-op that succeeds.
 * KEYS: meta, chunks. ARGV: total chunks, sha256 hex or '', now ms.
 * Every chunk below the count must be staged: sealing starts assembly, which can only
 * succeed with all of them.
 * Returns {'ok'} | {'same'} | {'missing'} | {'status', status, total, sha256} | {'beyond', chunk}
 * | {'incomplete', staged count}.
 */
export const SEAL = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status == 'sealed' then
  local total = redis.call('HGET', KEYS[1], 'totalChunks')
  local sha = redis.call('HGET', KEYS[1], 'sha256') or ''
  if total == ARGV[1] and sha == ARGV[2] then return {'same'} end
  return {'status', status, total, sha}
end
if status ~= 'open' then return {'status', status, '', ''} end
local total = tonumber(ARGV[1])
local staged = redis.call('HKEYS', KEYS[2])
for _, n in ipairs(staged) do
  if tonumber(n) >= total then return {'beyond', n} end
end
if #staged < total then return {'incomplete', tostring(#staged)} end
redis.call('HSET', KEYS[1], 'status', 'sealed', 'totalChunks', ARGV[1], 'sha256', ARGV[2], 'updatedAt', ARGV[3])
return {'ok'}
`;

/**
 * Marks an open or sealed upload aborted. Aborting again succeeds.
 * KEYS: meta. ARGV: reason, now ms. Returns {'ok'} | {'same'} | {'missing'}.
 */
export const ABORT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status == 'aborted' then return {'same'} end
redis.call('HSET', KEYS[1], 'status', 'aborted', 'abortReason', ARGV[1], 'updatedAt', ARGV[2])
return {'ok'}
`;

/**
 * Takes a stored chunk's bytes off the upload's staged-bytes count, once per chunk: the
 * part-writer calls it (through `RedisStaging.releaseChunk`) after deleting the chunk's
 * segments, and may call it again after a crash. A forced replacement keeps the size and adds
 * nothing to the count, so the bytes leave it once per chunk, not once per write. A release
 * gives the figure its next sequence number, as a commit does. What it returns lets the caller
 * update the budgets that count the upload, also when the release was done before (a retry after
 * a crash between the release and the budgets).
 * KEYS: meta. ARGV: chunk, size.
 * Returns {'0'} when there is no upload, else {bytes taken off ('0' when already done),
 * staged bytes, seq, tenant, budgets ('', 't', 'g' or 'tg')}.
 */
export const RELEASE_CHUNK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'0'} end
local h = redis.call('HMGET', KEYS[1], 'tenant', 'budget.tenant', 'budget.global')
local released = '0'
if redis.call('HSETNX', KEYS[1], 'released.' .. ARGV[1], '1') == 1 then
  redis.call('HINCRBY', KEYS[1], 'stagedBytes', -tonumber(ARGV[2]))
  redis.call('HINCRBY', KEYS[1], 'stagedSeq', 1)
  released = ARGV[2]
end
local f = redis.call('HMGET', KEYS[1], 'stagedBytes', 'stagedSeq')
return {released, f[1] or '0', f[2] or '0', h[1] or '', (h[2] and 't' or '') .. (h[3] and 'g' or '')}
`;

/**
 * Admits an upload under its tenant's limit of open uploads, the count and the admission in one
 * step, so a burst of initiates never passes it. Entries older than the window (the staging
 * TTL: uploads that expired unsealed) lapse. An upload already admitted is admitted again.
 * KEYS: open uploads. ARGV: upload id, limit (-1: none), window ms.
 * Returns {'ok'} | {'full', open count}.
 */
export const OPEN_UPLOAD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {'ok'} end
local limit = tonumber(ARGV[2])
local open = redis.call('ZCARD', KEYS[1])
if limit >= 0 and open >= limit then return {'full', tostring(open)} end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'ok'}
`;

/**
 * Takes one token from a tenant's bucket of chunk calls: it holds one second's worth and
 * refills continuously. The clock is Redis's, shared by every instance.
 * KEYS: rate bucket. ARGV: tokens per second.
 * Returns 0 when a token was taken, else the ms until one will be there.
 */
export const TAKE_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[1])
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or now)
tokens = math.min(rate, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) * 1000 / rate)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(2000 + 1000 / rate))
return wait
`;

/**
 * Drops an upload from the live-upload index (KEYS[1]) if its entry still has the score the
 * caller read (ARGV[2] for ARGV[1]): an entry a new createUpload wrote since is kept.
 */
export const FORGET_LIVE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;
