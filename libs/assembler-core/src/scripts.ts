/**
 * Lua scripts over one upload's assembler keys (one hash tag, so they run on Redis Cluster
 * too). Each is atomic with respect to the others, which is what lets a completing
 * consumer and an expiring sweeper on another instance decide without racing.
 */

/**
 * Records a PartStored unless the upload already has an outcome.
 * KEYS: asm, outcome. ARGV: field, part JSON, multipart location JSON ('' for none), now ms, ttl ms.
 * Returns 1 when recorded, 0 when the upload is finished.
 */
export const RECORD_PART = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'lastPartAt', ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'mpu', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Claims the upload for completing or for expiring. The two exclude each other; claiming
 * again what one already holds succeeds (a retry after a crash), and keeps the first time.
 * Expiring also needs the upload idle: its last activity (ingest's `updatedAt` or the last
 * PartStored) before the cutoff.
 * KEYS: meta, asm, outcome. ARGV: phase, now ms, ttl ms, cutoff ms (expiring only).
 * Returns {'ok', phaseAt} | {'done'} | {'held', other phase} | {'missing'} | {'active', last activity ms}.
 */
export const CLAIM = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {'done'} end
local phase = redis.call('HGET', KEYS[2], 'phase')
if phase and phase ~= ARGV[1] then return {'held', phase} end
if not phase then
  if ARGV[1] == 'expiring' then
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
    local updated = tonumber(redis.call('HGET', KEYS[1], 'updatedAt') or '0') or 0
    local lastPart = tonumber(redis.call('HGET', KEYS[2], 'lastPartAt') or '0') or 0
    local last = math.max(updated, lastPart)
    if last >= tonumber(ARGV[4]) then return {'active', string.format('%d', last)} end
  end
  redis.call('HSET', KEYS[2], 'phase', ARGV[1], 'phaseAt', ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {'ok', redis.call('HGET', KEYS[2], 'phaseAt')}
`;

/**
 * Stores the upload's outcome unless it has one; returns the one that holds.
 * KEYS: outcome. ARGV: record JSON, ttl ms.
 */
export const SETTLE = `
local current = redis.call('HGET', KEYS[1], 'record')
if current then return current end
redis.call('HSET', KEYS[1], 'record', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ARGV[1]
`;

/** Notes that the outcome is announced and the upload's state dropped. KEYS: outcome. */
export const MARK_PUBLISHED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'published', '1')
return 1
`;

/** Extends a lease if the caller still holds it. KEYS: lease. ARGV: token, ttl ms. */
export const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Drops a lease if the caller still holds it. KEYS: lease. ARGV: token. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;
