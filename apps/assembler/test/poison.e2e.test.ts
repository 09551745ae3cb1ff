/**
 * Poison records, end to end: records no Sluice producer would write are put straight into
 * every topic an app consumes while the four apps run. Each consumer group that reads a topic
 * must account for each record: the part-writer (intake.chunks) and the assembler (intake.parts)
 * dead-letter what they cannot process to `<topic>.dlq`, with the cause and the source position
 * in `sluice-dlq-*` headers; the projector (all three topics) keeps it in `rejected_events` with
 * its cause; a record a consumer's own rules let through is consumed. A dead letter too large
 * for the broker goes without the original, which its source position leads to. Every group's
 * position must move past every record, nothing else may be dead-lettered or rejected, and a
 * file uploaded afterwards must land byte-identical: the consumers went on.
 *
 * The records come from a seeded generator: SLUICE_FUZZ_SEED replays a run; the seed is in the
 * test's name and printed on failure.
 */
import assert from 'node:assert/strict';
import { it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Consumer, Producer, compatibilityPartitioner, type Admin, type Message } from '@platformatic/kafka';
import { SluiceClient, UploadStatus, uploadFile, waitForUpload } from '@sluice/client';
import { DEAD_LETTER_HEADERS } from '@sluice/kafka';
import { ChunkEvent, PartEvent, UploadEvent } from '@sluice/proto';
import {
  ApicurioRegistry,
  DEAD_LETTER_SUFFIX,
  EVENT_TOPICS,
  MAX_SCHEMA_ID,
  createEventCodecs,
  decodeFrame,
  encodeFrame,
  envelopeName,
  type EventCodecs,
  type EventTopic,
} from '@sluice/schema-registry';
import {
  SeededRandom,
  kafkaAdmin,
  kafkaBrokers,
  requireServices,
  s3Client,
  s3Settings,
  serviceUrl,
  startPipeline,
  type Pipeline,
} from '@sluice/testing';
import mysql from 'mysql2/promise';

const SEED = Number(process.env['SLUICE_FUZZ_SEED'] ?? 20261203);
const PARTITIONS = 2;
/** Bound on waiting for the consumers; the test's timeout is the real limit. */
const DEADLINE_MS = 180_000;
/**
 * Bytes of a value just under the broker's default limit on a record batch (`message.max.bytes`,
 * 1 MiB + 12 B, which the local Kafka keeps): the record fits, its dead letter does not.
 */
const LARGE = 1_048_200;
/** Names each poison record; a dead letter keeps the original's headers. */
const POISON_HEADER = 'sluice-test-poison';

type Reader = 'part-writer' | 'assembler' | 'projector';
/** The consumer groups of each topic: part-writer/src/app.ts, assembler/src/app.ts, projector.ts. */
const READERS: Readonly<Record<EventTopic, readonly Reader[]>> = {
  'intake.chunks': ['part-writer', 'projector'],
  'intake.parts': ['assembler', 'projector'],
  'intake.uploads': ['projector'],
};

/** What one reader must do with one record. */
type Fate =
  { readonly to: 'dead-letter' | 'rejected'; readonly codes: readonly string[] } | { readonly to: 'passed' };
type Fates = Readonly<Partial<Record<Reader, Fate>>>;

/** Refused by every reader: dead-lettered by the topic's processor, rejected by the projector. */
const refused = (...codes: string[]): Fates => ({
  'part-writer': { to: 'dead-letter', codes },
  assembler: { to: 'dead-letter', codes },
  projector: { to: 'rejected', codes },
});
const PASSED: Fate = { to: 'passed' };
const EVENT_INVALID: Fate = { to: 'rejected', codes: ['EVENT_INVALID'] };
const NO_UPLOAD: Fate = { to: 'dead-letter', codes: ['INVALID_ARGUMENT'] };

interface Poison {
  readonly id: string;
  readonly topic: EventTopic;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly partition?: number;
  /** Headers beside POISON_HEADER; a value of `null` is a header without a value. */
  readonly headers?: readonly (readonly [string, string | null])[];
  readonly fates: Fates;
}
interface Sent extends Poison {
  readonly topicName: string;
  readonly partition: number;
  readonly offset: bigint;
}
interface Kind {
  readonly kind: string;
  readonly value: () => Buffer | undefined;
  readonly headers?: Poison['headers'];
  readonly fates: Fates;
}

function uuid(r: SeededRandom): string {
  const h = r.bytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Envelope heads of an upload nobody started (unless `ids` says otherwise), and their frames. */
function forger(r: SeededRandom, codecs: EventCodecs) {
  return {
    head: (ids: { readonly uploadId?: string; readonly nodeId?: string } = {}) => ({
      eventId: uuid(r),
      uploadId: uuid(r),
      nodeId: uuid(r),
      tenant: 'e2e',
      drive: 'e2e',
      occurredAt: new Date(),
      ...ids,
    }),
    chunk: (event: ChunkEvent) => codecs['intake.chunks'].encode(event),
    part: (event: PartEvent) => codecs['intake.parts'].encode(event),
    upload: (event: UploadEvent) => codecs['intake.uploads'].encode(event),
  };
}

/** The kinds of poison for `topic`: broken frames, broken payloads, and events breaking a rule. */
function kindsOf(r: SeededRandom, topic: EventTopic, codecs: EventCodecs): Kind[] {
  const forge = forger(r, codecs);
  /** A valid frame of the topic, of an event every reader accepts. */
  const valid = (ids: { readonly uploadId?: string } = {}): Buffer => {
    const head = forge.head(ids);
    const value = { reason: 'poison' };
    if (topic === 'intake.chunks')
      return forge.chunk(
        ChunkEvent.fromPartial({ ...head, event: { $case: 'uploadAbortRequested', value } }),
      );
    if (topic === 'intake.parts')
      return forge.part(PartEvent.fromPartial({ ...head, event: { $case: 'uploadAborted', value } }));
    return forge.upload(UploadEvent.fromPartial({ ...head, event: { $case: 'uploadExpired', value } }));
  };
  const payload = (): Buffer => decodeFrame(valid()).payload;
  const known = codecs[topic].schema.contentId;
  const name = envelopeName(topic);
  const other = envelopeName(EVENT_TOPICS.find((x) => x !== topic)!);
  const kinds: Kind[] = [
    {
      kind: 'random bytes',
      value: () => Buffer.concat([Buffer.from([r.int(1, 255)]), r.bytes(r.int(0, 300))]),
      fates: refused('FRAME_INVALID'),
    },
    {
      // A bad header, an id of no schema, or a Ref that is no Ref, as the bytes fall.
      kind: 'random bytes after the magic byte',
      value: () => Buffer.concat([Buffer.from([0]), r.bytes(r.int(0, 64))]),
      fates: refused('FRAME_INVALID', 'FRAME_UNKNOWN_SCHEMA'),
    },
    { kind: 'empty value', value: () => Buffer.alloc(0), fates: refused('FRAME_INVALID') },
    {
      // With the dead-letter headers it is more than the broker takes in one record.
      kind: 'random bytes near the size limit',
      value: () => Buffer.concat([Buffer.from([r.int(1, 255)]), r.bytes(LARGE + r.int(0, 100))]),
      fates: refused('FRAME_INVALID'),
    },
    { kind: 'no value (tombstone)', value: () => undefined, fates: refused('FRAME_INVALID') },
    {
      kind: 'unknown schema id',
      value: () => encodeFrame(MAX_SCHEMA_ID - r.int(0, 100_000), name, payload()),
      fates: refused('FRAME_UNKNOWN_SCHEMA'),
    },
    {
      // The error quotes the message type's name: even without the record, the letter is too large.
      kind: 'known schema id, a message type named by 1 MB',
      value: () => encodeFrame(known, 'X'.repeat(LARGE + 100), Buffer.alloc(0)),
      fates: refused('FRAME_INVALID'),
    },
    {
      kind: "known schema id, another topic's message",
      value: () => encodeFrame(known, other, payload()),
      fates: refused('FRAME_INVALID'),
    },
    {
      // Cut inside event_id, the first field: the bytes end in the middle of a string.
      kind: 'known schema id, truncated protobuf',
      value: () => encodeFrame(known, name, payload().subarray(0, r.int(3, 30))),
      fates: refused('FRAME_INVALID'),
    },
    {
      // Field 1 with wire type 7, which does not exist.
      kind: 'known schema id, corrupt protobuf',
      value: () => encodeFrame(known, name, Buffer.concat([Buffer.from([0x0f]), payload()])),
      fates: refused('FRAME_INVALID'),
    },
    {
      kind: 'trace context header without a value',
      value: () => valid(),
      headers: [['traceparent', null]],
      fates: { 'part-writer': PASSED, assembler: PASSED, projector: PASSED },
    },
    {
      kind: 'trace context header that is not one',
      value: () => valid(),
      headers: [
        ['traceparent', '00-zz-not-a-trace'],
        ['tracestate', '\u0000'],
      ],
      fates: { 'part-writer': PASSED, assembler: PASSED, projector: PASSED },
    },
    {
      kind: 'event without an upload id',
      value: () => valid({ uploadId: '' }),
      fates: { 'part-writer': NO_UPLOAD, assembler: NO_UPLOAD, projector: EVENT_INVALID },
    },
  ];
  switch (topic) {
    case 'intake.chunks':
      kinds.push({
        kind: 'chunk with a 5-byte SHA-256',
        value: () =>
          forge.chunk(
            ChunkEvent.fromPartial({
              ...forge.head(),
              event: {
                $case: 'chunkUploaded',
                value: {
                  chunkNumber: 0,
                  size: 1n,
                  sha256: r.bytes(5),
                  segmentKeyPrefix: 'x',
                  segmentCount: 1,
                },
              },
            }),
          ),
        // To the part-writer, a late chunk of an upload ingest does not know: nothing to do.
        fates: { 'part-writer': PASSED, projector: EVENT_INVALID },
      });
      break;
    case 'intake.parts':
      kinds.push(
        {
          kind: 'part number 0 ending before it starts',
          value: () =>
            forge.part(
              PartEvent.fromPartial({
                ...forge.head(),
                event: {
                  $case: 'partStored',
                  value: {
                    partNumber: 0,
                    byteStart: 10n,
                    byteEnd: 5n,
                    etag: 'e',
                    location: { bucket: 'b', key: 'k' },
                  },
                },
              }),
            ),
          // The assembler records parts of any upload; the projection checks their numbers.
          fates: { assembler: PASSED, projector: EVENT_INVALID },
        },
        {
          kind: 'event of no kind',
          value: () => forge.part(PartEvent.fromPartial(forge.head())),
          // A kind of a newer producer: the projector skips it, the assembler dead-letters it.
          fates: { assembler: NO_UPLOAD, projector: PASSED },
        },
      );
      break;
    case 'intake.uploads':
      kinds.push({
        kind: 'completion with a 7-byte SHA-256',
        value: () =>
          forge.upload(
            UploadEvent.fromPartial({
              ...forge.head(),
              event: {
                $case: 'uploadCompleted',
                value: { bucket: 'b', key: 'k', size: 1n, sha256: r.bytes(7), partCount: 1 },
              },
            }),
          ),
        fates: { projector: EVENT_INVALID },
      });
  }
  return kinds;
}

/** Every kind of every topic once on each partition, with and without keys, in a seeded order. */
function poisons(r: SeededRandom, codecs: EventCodecs): Poison[] {
  const out: Poison[] = [];
  for (const topic of EVENT_TOPICS) {
    for (const { kind, value, headers, fates } of kindsOf(r, topic, codecs)) {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const key = r.int(0, 3) === 0 ? undefined : Buffer.from(uuid(r));
        const own = Object.fromEntries(
          READERS[topic].map((who) => [who, fates[who] ?? assert.fail(`${kind}: no fate for ${who}`)]),
        );
        const id = `${topic} ${kind} #${partition}`;
        out.push({ id, topic, key, value: value(), partition, ...(headers ? { headers } : {}), fates: own });
      }
    }
  }
  return r.shuffle(out);
}

/** A record read from a dead-letter topic. */
interface Letter {
  readonly dlq: string;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: ReadonlyMap<string, string>;
}

/** Reads `topics` from their start in the background, into `letters`. */
async function readLetters(t: TestContext, topics: readonly string[]) {
  const consumer = new Consumer({
    groupId: `poison-reader-${process.pid}-${Date.now()}`,
    clientId: 'poison-reader',
    bootstrapBrokers: kafkaBrokers(),
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({ topics: [...topics], mode: 'earliest' });
  const letters: Letter[] = [];
  const next = new Map<string, bigint>();
  const reading = (async () => {
    for await (const m of stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
      const headers = new Map<string, string>();
      for (const [k, v] of m.headers)
        headers.set(k.toString('utf8'), v === undefined ? '' : v.toString('utf8'));
      letters.push({ dlq: m.topic, key: m.key ?? undefined, value: m.value ?? undefined, headers });
      next.set(`${m.topic}:${m.partition}`, m.offset + 1n);
    }
  })();
  t.after(async () => {
    await stream.close();
    await reading.catch(() => undefined);
    await consumer.close(true);
  });
  /** True once every partition of `topics` was read to its current end. */
  const caughtUp = async (): Promise<boolean> => {
    const ends = await consumer.listOffsets({ topics: [...topics] });
    return topics.every((topic) =>
      (ends.get(topic) ?? []).every((end, p) => end === 0n || (next.get(`${topic}:${p}`) ?? 0n) >= end),
    );
  };
  return { letters, caughtUp, ends: (names: string[]) => consumer.listOffsets({ topics: names }) };
}

/** Each reader's next offset to process, by `<reader> <topic>:<partition>`. */
async function positions(pipeline: Pipeline, db: mysql.Connection, admin: Admin) {
  const out = new Map<string, bigint>();
  const groups: [Reader, string][] = [
    ['part-writer', `${pipeline.redisNamespace}-part-writer`],
    ['assembler', `${pipeline.topicPrefix}sluice-assembler`],
  ];
  const listed = await admin.listConsumerGroupOffsets({ groups: groups.map(([, g]) => g) });
  for (const [reader, group] of groups) {
    for (const topic of listed.find((g) => g.groupId === group)?.topics ?? []) {
      for (const p of topic.partitions)
        out.set(`${reader} ${topic.name}:${p.partitionIndex}`, p.committedOffset);
    }
  }
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    'SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE group_id = ?',
    [`${pipeline.redisNamespace}-projector`],
  );
  for (const row of rows)
    out.set(`projector ${row['topic']}:${row['partition_id']}`, BigInt(String(row['next_offset'])));
  return out;
}

interface Rejection {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly code: string;
  readonly message: string;
}

async function rejections(db: mysql.Connection): Promise<Rejection[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    'SELECT topic, partition_id, record_offset, error_code, message FROM rejected_events',
  );
  return rows.map((row) => ({
    topic: String(row['topic']),
    partition: Number(row['partition_id']),
    offset: BigInt(String(row['record_offset'])),
    code: String(row['error_code']),
    message: String(row['message']),
  }));
}

/** Polls `missing` until it lists nothing; fails with what it still lists after `ms`. */
async function until(what: string, ms: number, missing: () => Promise<string[]>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await missing();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      assert.fail(
        `${what}: ${left.length} still missing after ${ms / 1000} s:\n  ${left.slice(0, 30).join('\n  ')}`,
      );
    }
    await sleep(250);
  }
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined): boolean =>
  (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));

it(
  `accounts for poison records on every topic in each consumer group, then lands a file (seed ${SEED})`,
  { timeout: 420_000 },
  async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio', 's3', 'mysql']);
    try {
      await poisonRun(t);
    } catch (err) {
      t.diagnostic(`failed with seed ${SEED}: SLUICE_FUZZ_SEED=${SEED} replays this run`);
      throw err;
    }
  },
);

async function poisonRun(t: TestContext): Promise<void> {
  // Every record here makes an app log an error; SLUICE_E2E_LOG_LEVEL shows them.
  const level = { SLUICE_LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'fatal' };
  const pipeline = await startPipeline(t, {
    partitions: PARTITIONS,
    env: { 'ingest-api': level, 'part-writer': level, assembler: level, projector: level },
  });
  const codecs = await createEventCodecs(new ApicurioRegistry({ url: serviceUrl('apicurio') }), {
    topicPrefix: pipeline.topicPrefix,
  });
  const r = new SeededRandom(SEED);
  const list = poisons(r, codecs);

  // An upload that declared a fixed chunk size gets a chunk larger than that: a well-formed
  // event breaking the part-writer's rules, which dead-letters it and fails the upload.
  const client = new SluiceClient({ server: pipeline.grpcAddress, apiKey: pipeline.apiKey });
  t.after(() => client.close());
  const broken = await client.initiate({ drive: pipeline.drive, fixedChunkSize: 1024 });
  const forge = forger(r, codecs);
  list.push({
    id: "intake.chunks chunk larger than its upload's fixed chunk size",
    topic: 'intake.chunks',
    key: Buffer.from(broken.nodeId),
    value: forge.chunk(
      ChunkEvent.fromPartial({
        ...forge.head({ uploadId: broken.uploadId, nodeId: broken.nodeId }),
        event: {
          $case: 'chunkUploaded',
          value: { chunkNumber: 0, size: 4096n, sha256: r.bytes(32), segmentKeyPrefix: 'x', segmentCount: 1 },
        },
      }),
    ),
    fates: { 'part-writer': { to: 'dead-letter', codes: ['INVALID_ARGUMENT'] }, projector: PASSED },
  });

  // Java's partitioner, as Sluice's producers use: a keyed record lands where its node's events do.
  const producer = new Producer({
    clientId: 'poison-producer',
    bootstrapBrokers: kafkaBrokers(),
    partitioner: compatibilityPartitioner,
  });
  t.after(() => producer.close());
  const sent: Sent[] = [];
  for (const p of list) {
    const topicName = codecs[p.topic].topicName;
    const result = await producer.send({
      acks: -1,
      messages: [
        {
          topic: topicName,
          ...(p.partition === undefined ? {} : { partition: p.partition }),
          ...(p.key === undefined ? {} : { key: p.key }),
          // Undefined goes out as a null value: a tombstone.
          value: p.value,
          headers: new Map([
            [Buffer.from(POISON_HEADER), Buffer.from(p.id)],
            ...(p.headers ?? []).map(
              ([k, v]) =>
                [Buffer.from(k), v === null ? (null as unknown as Buffer) : Buffer.from(v)] as const,
            ),
          ]),
        },
      ],
    });
    const at = result.offsets?.[0];
    assert.ok(at, `the broker gave no offset for ${p.id}`);
    sent.push({ ...p, topicName, partition: at.partition, offset: BigInt(at.offset) });
  }

  const dlqs = EVENT_TOPICS.map((topic) => `${codecs[topic].topicName}${DEAD_LETTER_SUFFIX}`);
  const reader = await readLetters(t, dlqs);
  const db = await mysql.createConnection({ uri: pipeline.mysqlUrl });
  t.after(() => db.end());
  const admin = kafkaAdmin('poison-admin');
  t.after(() => admin.close());
  const DLQ_OF: Partial<Record<Reader, EventTopic>> = {
    'part-writer': 'intake.chunks',
    assembler: 'intake.parts',
  };
  const lettersOf = (p: Sent, who: Reader): Letter[] =>
    DLQ_OF[who] !== p.topic
      ? []
      : reader.letters.filter(
          (l) =>
            l.dlq === `${p.topicName}${DEAD_LETTER_SUFFIX}` &&
            l.headers.get(DEAD_LETTER_HEADERS.topic) === p.topicName &&
            l.headers.get(DEAD_LETTER_HEADERS.partition) === String(p.partition) &&
            l.headers.get(DEAD_LETTER_HEADERS.offset) === String(p.offset),
        );
  const rowOf = (rows: Rejection[], p: Sent) =>
    rows.find((x) => x.topic === p.topicName && x.partition === p.partition && x.offset === p.offset);

  await until('poison records accounted for', DEADLINE_MS, async () => {
    const [at, rows] = await Promise.all([positions(pipeline, db, admin), rejections(db)]);
    const left: string[] = [];
    for (const p of sent) {
      for (const [who, fate] of Object.entries(p.fates) as [Reader, Fate][]) {
        const position = at.get(`${who} ${p.topicName}:${p.partition}`) ?? -1n;
        if (position <= p.offset)
          left.push(`${who} is at offset ${position}, not past "${p.id}" (${p.offset})`);
        else if (fate.to === 'dead-letter' && lettersOf(p, who).length === 0)
          left.push(`dead letter of "${p.id}"`);
        else if (fate.to === 'rejected' && !rowOf(rows, p)) left.push(`rejected_events row of "${p.id}"`);
      }
    }
    if (left.length === 0 && !(await reader.caughtUp()))
      left.push('the dead-letter topics read to their ends');
    return left;
  });

  // Each record where its fate says, with its cause and where it came from.
  const rows = await rejections(db);
  const omitted = reader.letters.filter((l) => l.headers.has(DEAD_LETTER_HEADERS.omitted)).length;
  t.diagnostic(
    `${sent.length} poison records: ${reader.letters.length} dead letters (${omitted} without the ` +
      `original, too large), ${rows.length} rejected_events rows`,
  );
  assert.ok(omitted > 0, 'letters too large for the broker went without the original');
  for (const p of sent) {
    for (const [who, fate] of Object.entries(p.fates) as [Reader, Fate][]) {
      const letters = lettersOf(p, who);
      const row = rowOf(rows, p);
      if (fate.to === 'dead-letter') {
        for (const l of letters) {
          const code = l.headers.get(DEAD_LETTER_HEADERS.code) ?? '';
          const message = l.headers.get(DEAD_LETTER_HEADERS.message) ?? '';
          assert.ok(fate.codes.includes(code), `${who}: "${p.id}" dead-lettered with ${code}: ${message}`);
          assert.ok(message.length > 0, `${who}: the dead letter of "${p.id}" says why`);
          assert.equal(l.headers.get(DEAD_LETTER_HEADERS.retriable), 'false', `${who}: "${p.id}"`);
          assert.match(l.headers.get(DEAD_LETTER_HEADERS.attempts) ?? '', /^[1-9]\d*$/);
          if (l.headers.has(DEAD_LETTER_HEADERS.omitted)) {
            // Too large to carry the original: the source position (checked above) leads to it.
            assert.ok((p.value?.length ?? 0) > LARGE / 2, `"${p.id}" was dead-lettered without the original`);
            assert.equal(l.value, undefined);
            continue;
          }
          assert.equal(l.headers.get(POISON_HEADER), p.id, "the original's headers are kept");
          assert.ok(sameBytes(l.key, p.key), `the dead letter of "${p.id}" keeps its key`);
          assert.ok(sameBytes(l.value, p.value), `the dead letter of "${p.id}" keeps its value`);
        }
      } else {
        assert.deepEqual(letters, [], `${who} dead-lettered "${p.id}", which is not poison to it`);
      }
      if (who !== 'projector') continue;
      if (fate.to === 'rejected') {
        assert.ok(row, `rejected_events has "${p.id}"`);
        assert.ok(
          fate.codes.includes(row.code),
          `projector: "${p.id}" rejected with ${row.code}: ${row.message}`,
        );
        assert.ok(row.message.length > 0, `projector: the rejection of "${p.id}" says why`);
      } else {
        assert.equal(
          row,
          undefined,
          `projector rejected "${p.id}", which is not poison to it: ${row?.message}`,
        );
      }
    }
  }
  const brokenState = await waitForUpload(client, broken.uploadId);
  assert.equal(
    brokenState.status,
    UploadStatus.UPLOAD_STATUS_FAILED,
    'the upload of the dead-lettered chunk failed',
  );
  assert.equal(brokenState.errorCode, 'INVALID_ARGUMENT', brokenState.errorMessage);

  // The consumers went on: a file uploaded now lands byte-identical.
  const data = r.bytes(7 * 1024 * 1024 + r.int(0, 1024 * 1024));
  const done = await uploadFile(data, {
    server: pipeline.grpcAddress,
    apiKey: pipeline.apiKey,
    drive: pipeline.drive,
    wait: true,
  });
  assert.equal(done.status, UploadStatus.UPLOAD_STATUS_COMPLETED, done.state?.errorMessage);
  const s3 = s3Client();
  t.after(() => s3.destroy());
  const object = await s3.send(new GetObjectCommand({ Bucket: s3Settings().bucket, Key: done.key }));
  const body = Buffer.from(await object.Body!.transformToByteArray());
  assert.equal(body.length, data.length);
  assert.ok(body.equals(data), `object ${done.key} differs from its source`);

  // Every reader moved to the end of every partition, and nothing else was dead-lettered or rejected.
  const topicNames = EVENT_TOPICS.map((topic) => codecs[topic].topicName);
  await until('every reader at the end of its topics', DEADLINE_MS, async () => {
    const [at, ends] = await Promise.all([positions(pipeline, db, admin), reader.ends(topicNames)]);
    const left: string[] = [];
    for (const topic of EVENT_TOPICS) {
      for (const who of READERS[topic]) {
        (ends.get(codecs[topic].topicName) ?? []).forEach((end, p) => {
          const position = at.get(`${who} ${codecs[topic].topicName}:${p}`) ?? 0n;
          if (position < end) left.push(`${who} at ${position} of ${end} on ${codecs[topic].topicName}:${p}`);
        });
      }
    }
    if (left.length === 0 && !(await reader.caughtUp()))
      left.push('the dead-letter topics read to their ends');
    return left;
  });
  const poisoned = (
    topic: string,
    partition: string | number | undefined,
    offset: string | bigint | undefined,
  ) =>
    sent.some(
      (p) =>
        p.topicName === topic &&
        String(p.partition) === String(partition) &&
        String(p.offset) === String(offset),
    );
  for (const l of reader.letters) {
    const [topic, partition, offset] = [
      DEAD_LETTER_HEADERS.topic,
      DEAD_LETTER_HEADERS.partition,
      DEAD_LETTER_HEADERS.offset,
    ].map((h) => l.headers.get(h));
    assert.ok(
      poisoned(topic ?? '', partition, offset),
      `unexpected dead letter on ${l.dlq}: ${l.headers.get(DEAD_LETTER_HEADERS.message)}`,
    );
  }
  for (const row of await rejections(db)) {
    assert.ok(
      poisoned(row.topic, row.partition, row.offset),
      `unexpected rejection at ${row.topic}:${row.partition}@${row.offset}: ${row.message}`,
    );
  }
}
