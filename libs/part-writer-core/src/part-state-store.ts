/**
 * The part-writer's state of one upload in Redis: one hash, `<namespace>:{<upload_id>}:pw`
 * (`keys.consumerState(U, 'partWriter')`), beside ingest's keys and under the same hash tag. The
 * part-writer is its only writer; the assembler reads the multipart upload through
 * {@link PartStateStore.multipart}, and staging's `deleteUpload` removes the hash by name with
 * the upload's other keys once the upload has ended.
 *
 *   init          JSON UploadInit      where the object goes and how it is cut (first writer wins)
 *   c:<n>         JSON chunk write     the current write of chunk n (a higher generation replaces it)
 *   sealed        JSON {totalChunks, sha256}
 *   content       hex SHA-256          the whole-file SHA-256 of the bytes stored (first writer wins)
 *   hash          JSON HashCheckpoint  the running whole-file SHA-256 after parts 1..n (most parts wins)
 *   mpu           string               the multipart upload id (set once: compare-and-set)
 *   p:<n>         JSON StoredPart      part n as stored and announced by PartStored
 *   d:<n>         string               prefix of chunk n's write whose segments are deleted
 *   g:<prefix>    segment count        a superseded write whose segments are still to delete
 *   done          '1'                  AllPartsStored is durable
 *   failed        JSON FailureFacts    the upload failed (first failure wins)
 *   failedEmitted '1'                  UploadFailed is durable
 *   aborting      reason               an abort is under way
 *
 * Every value is written with a plain HSET/HSETNX (idempotent: a redelivered event writes the
 * same value again) except the chunk records, whose script keeps the highest generation, and the
 * hash checkpoint, whose script keeps the one after the most parts.
 * The hash expires after `ttlMs` without writes, like ingest's keys. Ingest's staged-bytes count
 * is not touched here: it is ingest's, and the part-writer lowers it through
 * `StagingStore.releaseChunk`.
 */
import { UnavailableError } from '@sluice/errors';
import { stagingCall, stagingScript, type StagingKeys, type RedisClient } from '@sluice/staging';
import type { MultipartRef } from '@sluice/storage';
import type { ChunkFacts, StoredPart } from '@sluice/part-ledger';
import type { FailureFacts, PartState, StoredUploadState, UploadInit } from './part-state.ts';
import type { HashCheckpoint } from './whole-file-hash.ts';

/** Options of {@link PartStateStore}. */
export interface PartStateStoreOptions {
  readonly redis: RedisClient;
  /** Staging's key builders: the state is `keys.consumerState(uploadId, 'partWriter')`. */
  readonly stagingKeys: StagingKeys;
  /** Idle time after which the state expires. @default 48 h (ingest's staging TTL) */
  readonly ttlMs?: number;
}

/**
 * Keeps the highest generation of a chunk. Returns 1 when the write is the one stored (now or
 * already), 0 when a newer write (or another write of the same generation) is.
 * KEYS: state. ARGV: field, json, generation, ttl, prefix.
 */
const SAVE_CHUNK = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local r = cjson.decode(cur)
  local g = tonumber(r.generation)
  if g > tonumber(ARGV[3]) or (g == tonumber(ARGV[3]) and r.prefix ~= ARGV[5]) then return 0 end
  if g == tonumber(ARGV[3]) then return 1 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/**
 * Notes a chunk write's segments deleted, unless the upload's state is gone (an ended upload's
 * hash must not come back without its TTL). KEYS: state. ARGV: chunk, prefix. Returns 1 when noted.
 */
const MARK_DELETED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'd:' .. ARGV[1], ARGV[2])
return 1
`;

/**
 * Keeps the hash checkpoint after the most parts. KEYS: state. ARGV: part, json, ttl.
 * Returns 1 when this one is stored, 0 when one after as many parts or more already was.
 */
const SAVE_HASH = `
local cur = redis.call('HGET', KEYS[1], 'hash')
if cur and tonumber(cjson.decode(cur).part) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** The part-writer's per-upload state in Redis (layout at the top of this file). */
export class PartStateStore implements PartState {
  readonly redis: RedisClient;
  readonly ttlMs: number;
  readonly #stagingKeys: StagingKeys;

  constructor(options: PartStateStoreOptions) {
    this.redis = options.redis;
    this.#stagingKeys = options.stagingKeys;
    this.ttlMs = options.ttlMs ?? 48 * 3_600_000;
    this.redis.defineCommand('sluicePwSaveChunk', { numberOfKeys: 1, lua: SAVE_CHUNK });
    this.redis.defineCommand('sluicePwMarkDeleted', { numberOfKeys: 1, lua: MARK_DELETED });
    this.redis.defineCommand('sluicePwSaveHash', { numberOfKeys: 1, lua: SAVE_HASH });
  }

  /** The hash holding the upload's state. */
  key(uploadId: string): string {
    return this.#stagingKeys.consumerState(uploadId, 'partWriter');
  }

  /** The upload's state, or undefined when there is none. */
  async load(uploadId: string): Promise<StoredUploadState | undefined> {
    const hash = await stagingCall(() => this.redis.hgetall(this.key(uploadId)));
    if (Object.keys(hash).length === 0) return undefined;
    const chunks: ChunkFacts[] = [];
    const parts: StoredPart[] = [];
    const deleted = new Map<number, string>();
    const garbage = new Map<string, number>();
    for (const [field, value] of Object.entries(hash)) {
      if (field.startsWith('c:')) chunks.push(parseChunk(value));
      else if (field.startsWith('p:')) parts.push(parsePart(value));
      else if (field.startsWith('d:')) deleted.set(Number(field.slice(2)), value);
      else if (field.startsWith('g:')) garbage.set(field.slice(2), Number(value));
    }
    chunks.sort((a, b) => a.chunk - b.chunk);
    return {
      init: hash['init'] ? (JSON.parse(hash['init']) as UploadInit) : undefined,
      chunks,
      sealed: hash['sealed'] ? (JSON.parse(hash['sealed']) as StoredUploadState['sealed']) : undefined,
      contentSha256: hash['content'] || undefined,
      hashCheckpoint: hash['hash'] ? parseHashCheckpoint(hash['hash']) : undefined,
      multipartUploadId: hash['mpu'] || undefined,
      parts,
      deleted,
      garbage,
      done: hash['done'] === '1',
      failed: hash['failed'] ? (JSON.parse(hash['failed']) as FailureFacts) : undefined,
      failedEmitted: hash['failedEmitted'] === '1',
      aborting: hash['aborting'],
    };
  }

  /** Stores where the upload goes, unless already stored. */
  async saveInit(uploadId: string, init: UploadInit): Promise<void> {
    await this.#setNx(uploadId, 'init', JSON.stringify(init));
  }

  /** Stores a chunk write unless a newer one is stored; true when this write is the one stored. */
  async saveChunk(uploadId: string, facts: ChunkFacts): Promise<boolean> {
    const json = JSON.stringify({ ...facts, crc64nvme: facts.crc64nvme.toString() });
    const saved = await stagingScript(this.redis, 'sluicePwSaveChunk', [
      this.key(uploadId),
      `c:${facts.chunk}`,
      json,
      String(facts.generation),
      String(this.ttlMs),
      facts.prefix,
    ]);
    return saved === 1;
  }

  async saveSealed(uploadId: string, totalChunks: number, sha256: string): Promise<void> {
    await this.#setNx(uploadId, 'sealed', JSON.stringify({ totalChunks, sha256 }));
  }

  async saveContentSha256(uploadId: string, sha256: string): Promise<void> {
    await this.#setNx(uploadId, 'content', sha256);
  }

  async saveHashCheckpoint(uploadId: string, checkpoint: HashCheckpoint): Promise<void> {
    const json = JSON.stringify({ ...checkpoint, state: checkpoint.state.toString('base64') });
    await stagingScript(this.redis, 'sluicePwSaveHash', [
      this.key(uploadId),
      String(checkpoint.part),
      json,
      String(this.ttlMs),
    ]);
  }

  /**
   * Stores `multipartUploadId` as the upload's multipart upload unless one is stored already;
   * returns the one that is (the caller aborts its own when it lost).
   */
  async claimMultipart(uploadId: string, multipartUploadId: string): Promise<string> {
    const key = this.key(uploadId);
    const replies = await stagingCall(() =>
      this.redis
        .multi()
        .hsetnx(key, 'mpu', multipartUploadId)
        .hget(key, 'mpu')
        .pexpire(key, this.ttlMs)
        .exec(),
    );
    const winner = replies?.[1]?.[1];
    if (typeof winner !== 'string') {
      throw new UnavailableError(
        'STAGING_UNAVAILABLE',
        `Redis did not answer the multipart claim of ${uploadId}`,
      );
    }
    return winner;
  }

  async savePart(uploadId: string, part: StoredPart): Promise<void> {
    const json = JSON.stringify({ ...part, crc64nvme: part.crc64nvme.toString() });
    await this.#set(uploadId, `p:${part.partNumber}`, json);
  }

  /** Notes a superseded write whose segments must go. */
  async addGarbage(uploadId: string, prefix: string, segmentCount: number): Promise<void> {
    await this.#set(uploadId, `g:${prefix}`, String(segmentCount));
  }

  async removeGarbage(uploadId: string, prefix: string): Promise<void> {
    await stagingCall(() => this.redis.hdel(this.key(uploadId), `g:${prefix}`));
  }

  /** Whether the upload has any state here (none before its first event, or once it ended). */
  async exists(uploadId: string): Promise<boolean> {
    return (await stagingCall(() => this.redis.exists(this.key(uploadId)))) === 1;
  }

  /**
   * Notes that the segments of chunk `facts.chunk`'s write `facts.prefix` are deleted; false when
   * the upload's state is gone (an ended upload's hash is not brought back).
   */
  async markDeleted(uploadId: string, facts: Pick<ChunkFacts, 'chunk' | 'prefix'>): Promise<boolean> {
    const noted = await stagingScript(this.redis, 'sluicePwMarkDeleted', [
      this.key(uploadId),
      String(facts.chunk),
      facts.prefix,
    ]);
    return noted === 1;
  }

  /**
   * The upload's multipart upload and where it goes, once the part-writer has created one: for
   * the assembler, to abort one that no PartStored named yet.
   */
  async multipart(uploadId: string): Promise<MultipartRef | undefined> {
    const [mpu, init] = await stagingCall(() => this.redis.hmget(this.key(uploadId), 'mpu', 'init'));
    if (!mpu || !init) return undefined;
    const target = JSON.parse(init) as Partial<UploadInit>;
    return target.bucket && target.key
      ? { bucket: target.bucket, key: target.key, uploadId: mpu }
      : undefined;
  }

  async markDone(uploadId: string): Promise<void> {
    await this.#set(uploadId, 'done', '1');
  }

  /** Records the failure unless one is recorded; returns the one that is. */
  async markFailed(uploadId: string, failure: FailureFacts): Promise<FailureFacts> {
    const key = this.key(uploadId);
    const replies = await stagingCall(() =>
      this.redis
        .multi()
        .hsetnx(key, 'failed', JSON.stringify(failure))
        .hget(key, 'failed')
        .pexpire(key, this.ttlMs)
        .exec(),
    );
    const stored = replies?.[1]?.[1];
    return typeof stored === 'string' ? (JSON.parse(stored) as FailureFacts) : failure;
  }

  async markFailedEmitted(uploadId: string): Promise<void> {
    await this.#set(uploadId, 'failedEmitted', '1');
  }

  async markAborting(uploadId: string, reason: string): Promise<void> {
    await this.#set(uploadId, 'aborting', reason);
  }

  async delete(uploadId: string): Promise<void> {
    await stagingCall(() => this.redis.unlink(this.key(uploadId)));
  }

  async #set(uploadId: string, field: string, value: string): Promise<void> {
    const key = this.key(uploadId);
    await stagingCall(() => this.redis.multi().hset(key, field, value).pexpire(key, this.ttlMs).exec());
  }

  async #setNx(uploadId: string, field: string, value: string): Promise<void> {
    const key = this.key(uploadId);
    await stagingCall(() => this.redis.multi().hsetnx(key, field, value).pexpire(key, this.ttlMs).exec());
  }
}

function parseChunk(json: string): ChunkFacts {
  const raw = JSON.parse(json) as Omit<ChunkFacts, 'crc64nvme'> & { crc64nvme: string };
  return { ...raw, crc64nvme: BigInt(raw.crc64nvme) };
}

function parsePart(json: string): StoredPart {
  const raw = JSON.parse(json) as Omit<StoredPart, 'crc64nvme'> & { crc64nvme: string };
  return { ...raw, crc64nvme: BigInt(raw.crc64nvme) };
}

function parseHashCheckpoint(json: string): HashCheckpoint {
  const raw = JSON.parse(json) as Omit<HashCheckpoint, 'state'> & { state: string };
  return { ...raw, state: Buffer.from(raw.state, 'base64') };
}
