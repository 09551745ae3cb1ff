/**
 * Lua scripts that change an upload's state atomically. Each touches only keys of
 * one upload (one hash tag), so they run on Redis Cluster too.
 */

/**
 * Records a fully staged chunk if the upload is open and the chunk still holds the
 * write the caller saw (compare-and-set on the write id: '' for "no chunk yet").
 * KEYS: meta, chunks. ARGV: chunk, record JSON, expected write id, size, ttl ms, now ms.
 * Returns {'ok'} | {'missing'} | {'status', status} | {'raced', current JSON}.
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
redis.call('HINCRBY', KEYS[1], 'stagedBytes', tonumber(ARGV[4]) - currentSize)
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[6])
if tonumber(redis.call('HGET', KEYS[1], 'firstChunkAt')) == 0 then
  redis.call('HSET', KEYS[1], 'firstChunkAt', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {'ok'}
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
 * nothing to the count, so the bytes leave it once per chunk, not once per write.
 * KEYS: meta. ARGV: chunk, size. Returns the bytes taken off (0 when already done or no upload).
 */
export const RELEASE_CHUNK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'released.' .. ARGV[1], '1') == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'stagedBytes', -tonumber(ARGV[2]))
return tonumber(ARGV[2])
`;
