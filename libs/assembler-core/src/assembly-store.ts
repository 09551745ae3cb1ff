/**
 * The assembler's state in Redis, beside the upload's staging keys and under the same
 * hash tag `{U}` (names from `@sluice/staging`'s `keys.ts`; the assembler is their only writer):
 *
 *   <ns>:{U}:asm            HASH    p:<n> → JSON RecordedPart, the latest PartStored of part n;
 *                                   mpu (JSON MultipartRef last seen), lastPartAt (ms),
 *                                   phase ('completing' | 'expiring') and phaseAt (ms) once claimed
 *   <ns>:asm-outcome:{U}    HASH    record (JSON of the upload's one outcome), published ('1')
 *
 * A multipart upload no PartStored named yet is the part-writer's to tell: it is asked through
 * {@link PartWriterState}, never by reading its hash. The claim script reads ingest's
 * `updatedAt` (the upload's last activity) and writes nothing of ingest's.
 *
 * `:asm` is dropped with the upload's other keys by `staging.deleteUpload`; it expires with
 * the staging TTL like them. The outcome lives outside the `<ns>:{U}:*` pattern so it
 * outlives that clean-up: a redelivered event finds it and repeats the announcement instead
 * of deciding again. Once an outcome exists no script writes `:asm` again, so late events
 * cannot bring a finished upload's keys back.
 */
import {
  stagingCall,
  stagingScript,
  type RedisStaging,
  type StagingKeys,
  type RedisClient,
} from '@sluice/staging';
import type {
  AssemblerState,
  AssemblyState,
  ClaimResult,
  Phase,
  PartWriterState,
  RecordedPart,
  StoredOutcome,
} from './assembler-state.ts';
import type { MultipartRef } from '@sluice/storage';
import { parseOutcome, serializeOutcome, type OutcomeRecord } from './outcomes.ts';
import { CLAIM, MARK_PUBLISHED, RECORD_PART, SETTLE } from './scripts.ts';

/** Options for {@link AssemblyStore}. */
export interface AssemblyStoreOptions {
  /** Staging of the same deployment: its client, key names and TTL are shared. */
  readonly staging: RedisStaging;
  /** The part-writer's state of each upload. */
  readonly partWriter: PartWriterState;
  /** How long an outcome is remembered after the upload's other keys are gone. @default 7 days */
  readonly outcomeTtlMs?: number;
}

/** The {@link AssemblerState} in Redis (layout at the top of this file). */
export class AssemblyStore implements AssemblerState {
  readonly redis: RedisClient;
  readonly keys: StagingKeys;
  readonly outcomeTtlMs: number;
  readonly #ttlMs: number;
  readonly #partWriter: PartWriterState;

  constructor(options: AssemblyStoreOptions) {
    this.redis = options.staging.redis;
    this.keys = options.staging.keys;
    this.#partWriter = options.partWriter;
    this.outcomeTtlMs = options.outcomeTtlMs ?? 7 * 86_400_000;
    this.#ttlMs = options.staging.ttlMs;
    this.redis.defineCommand('sluiceAsmRecordPart', { numberOfKeys: 2, lua: RECORD_PART });
    this.redis.defineCommand('sluiceAsmClaim', { numberOfKeys: 3, lua: CLAIM });
    this.redis.defineCommand('sluiceAsmSettle', { numberOfKeys: 1, lua: SETTLE });
    this.redis.defineCommand('sluiceAsmMarkPublished', { numberOfKeys: 1, lua: MARK_PUBLISHED });
  }

  /** Key of the upload's assembler hash. */
  stateKey(uploadId: string): string {
    return this.keys.consumerState(uploadId, 'assembler');
  }

  /** Key of the upload's outcome. */
  outcomeKey(uploadId: string): string {
    return this.keys.outcome(uploadId);
  }

  /** Records the part (replacing an earlier PartStored of the same number); false once the upload is finished. */
  async recordPart(uploadId: string, part: RecordedPart, now = Date.now()): Promise<boolean> {
    const n = await stagingScript(this.redis, 'sluiceAsmRecordPart', [
      this.stateKey(uploadId),
      this.outcomeKey(uploadId),
      `p:${part.partNumber}`,
      JSON.stringify(part),
      part.multipartUploadId
        ? JSON.stringify({ bucket: part.bucket, key: part.key, uploadId: part.multipartUploadId })
        : '',
      String(now),
      String(this.#ttlMs),
    ]);
    return n === 1;
  }

  /** Every recorded part, by part number. */
  async parts(uploadId: string): Promise<RecordedPart[]> {
    const hash = await stagingCall(() => this.redis.hgetall(this.stateKey(uploadId)));
    return Object.entries(hash)
      .filter(([field]) => field.startsWith('p:'))
      .map(([, raw]) => JSON.parse(raw) as RecordedPart)
      .sort((a, b) => a.partNumber - b.partNumber);
  }

  async state(uploadId: string): Promise<AssemblyState> {
    const [[mpu, lastPartAt, phase], partWriterMultipart] = await Promise.all([
      stagingCall(() => this.redis.hmget(this.stateKey(uploadId), 'mpu', 'lastPartAt', 'phase')),
      this.#partWriter.multipart(uploadId),
    ]);
    return {
      partWriterMultipart,
      multipart: mpu ? (JSON.parse(mpu) as MultipartRef) : undefined,
      lastPartAt: Number(lastPartAt ?? 0),
      phase: (phase ?? undefined) as Phase | undefined,
    };
  }

  /** See {@link ClaimResult}; `cutoff` (ms) is needed to claim for expiring. */
  async claim(uploadId: string, phase: Phase, now = Date.now(), cutoff = 0): Promise<ClaimResult> {
    const reply = (await stagingScript(this.redis, 'sluiceAsmClaim', [
      this.keys.meta(uploadId),
      this.stateKey(uploadId),
      this.outcomeKey(uploadId),
      phase,
      String(now),
      String(this.#ttlMs),
      String(cutoff),
    ])) as [string, string | undefined];
    switch (reply[0]) {
      case 'ok':
        return { result: 'ok', since: Number(reply[1]) };
      case 'held':
        return { result: 'held', by: reply[1] as Phase };
      case 'active':
        return { result: 'active', lastActivity: Number(reply[1]) };
      case 'missing':
        return { result: 'missing' };
      default:
        return { result: 'done' };
    }
  }

  async outcome(uploadId: string): Promise<StoredOutcome | undefined> {
    const [record, published] = await stagingCall(() =>
      this.redis.hmget(this.outcomeKey(uploadId), 'record', 'published'),
    );
    return record ? { record: parseOutcome(record), published: published === '1' } : undefined;
  }

  /** Stores `proposed` as the upload's outcome unless it has one; returns the outcome that holds. */
  async settle(uploadId: string, proposed: OutcomeRecord): Promise<OutcomeRecord> {
    const winner = (await stagingScript(this.redis, 'sluiceAsmSettle', [
      this.outcomeKey(uploadId),
      serializeOutcome(proposed),
      String(this.outcomeTtlMs),
    ])) as string;
    return parseOutcome(winner);
  }

  async markPublished(uploadId: string): Promise<void> {
    await stagingScript(this.redis, 'sluiceAsmMarkPublished', [this.outcomeKey(uploadId)]);
  }
}
