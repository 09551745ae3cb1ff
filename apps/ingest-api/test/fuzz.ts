/**
 * A bounded fuzzer for a running ingest-api: generated requests of every RPC, valid and not,
 * sent as raw bytes so the server also meets truncated and corrupt protobuf, invalid UTF-8 and
 * huge varints; streams that lie about their size, stop mid-way or send a header twice; raw
 * HTTP/2 requests with broken gRPC framing; and idle streams held open. Every call must end
 * with a gRPC status from the server: one that only ends at the client's deadline counts as
 * unanswered. Seeded, so a failing run replays.
 */
import { createHash, randomUUID } from 'node:crypto';
import { connect, constants as h2, type IncomingHttpHeaders } from 'node:http2';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  AbortUploadRequest,
  CompleteUploadRequest,
  GetUploadStatusRequest,
  InitiateUploadRequest,
  ListUploadsRequest,
  UploadChunkRequest,
  UploadChunkStreamRequest,
  WatchUploadRequest,
} from '@sluice/proto';
import { SeededRandom } from '@sluice/testing';

const SERVICE = '/sluice.intake.v1.IntakeService';
const MAX_CHUNK_NUMBER = 1_000_000;

export interface FuzzOptions {
  readonly server: string;
  readonly apiKey: string;
  readonly requests: number;
  readonly seed: number;
  /** Calls in flight at once. @default 32 */
  readonly concurrency?: number;
  /** Idle streams held open for the whole run, then ended. @default 20 */
  readonly idleStreams?: number;
  /** A call not answered within this is counted unanswered. @default 20000 */
  readonly deadlineMs?: number;
}

export interface FuzzReport {
  readonly requests: number;
  readonly unanswered: number;
  /** Calls by the gRPC status they ended with. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Calls by kind, then by status. */
  readonly kinds: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** One example of each unanswered kind, to replay. */
  readonly examples: readonly string[];
}

type Outcome = number | 'unanswered';

const identity = (b: Buffer): Buffer => b;

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const random = new SeededRandom(options.seed);
  const client = new Client(options.server, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
  const deadlineMs = options.deadlineMs ?? 20_000;
  const auth = (): Metadata => {
    const md = new Metadata();
    const roll = random.int(0, 19);
    if (roll === 0) return md;
    md.set(
      'authorization',
      roll === 1 ? `Bearer ${random.bytes(8).toString('hex')}` : `Bearer ${options.apiKey}`,
    );
    return md;
  };
  const uploads: string[] = [];
  const statuses: Record<string, number> = {};
  const kinds: Record<string, Record<string, number>> = {};
  const examples: string[] = [];
  let unanswered = 0;
  const note = (kind: string, outcome: Outcome): void => {
    const name = outcome === 'unanswered' ? 'unanswered' : (status[outcome] ?? String(outcome));
    statuses[name] = (statuses[name] ?? 0) + 1;
    const byStatus = (kinds[kind] ??= {});
    byStatus[name] = (byStatus[name] ?? 0) + 1;
    if (outcome === 'unanswered') {
      unanswered++;
      if (!examples.some((e) => e.startsWith(`${kind}:`))) examples.push(`${kind}: seed ${options.seed}`);
    }
  };
  const deadline = (): Date => new Date(Date.now() + deadlineMs);
  const ended = (err: ServiceError | null): Outcome =>
    err === null ? status.OK : err.code === status.DEADLINE_EXCEEDED ? 'unanswered' : err.code;

  const unary = (method: string, body: Buffer): Promise<{ outcome: Outcome; reply?: Buffer }> =>
    new Promise((resolve) =>
      client.makeUnaryRequest(
        `${SERVICE}/${method}`,
        identity,
        identity,
        body,
        auth(),
        { deadline: deadline() },
        (err, reply) =>
          resolve(reply === undefined ? { outcome: ended(err) } : { outcome: ended(err), reply }),
      ),
    );

  // --- generated values ------------------------------------------------------------------
  const text = (): string => {
    switch (random.int(0, 7)) {
      case 0:
        return '';
      case 1:
        return 'docs';
      case 2:
        return 'x'.repeat(random.int(200, 70_000));
      case 3:
        return '\u0000\u202e\ud83d\ude00';
      default:
        return random.bytes(random.int(1, 40)).toString('latin1');
    }
  };
  const uploadId = (): string => {
    const roll = random.int(0, 9);
    if (roll < 6 && uploads.length > 0) return uploads[random.int(0, uploads.length - 1)] ?? '';
    return roll === 6 ? randomUUID() : text();
  };
  const chunkNumber = (): number =>
    [0, 1, 2, random.int(0, 50), MAX_CHUNK_NUMBER, MAX_CHUNK_NUMBER + 1, 2 ** 32 - 1][random.int(0, 6)] ?? 0;
  const sha = (data: Buffer): string => {
    switch (random.int(0, 5)) {
      case 0:
        return '';
      case 1:
        return sha256Hex(data);
      case 2:
        return sha256Hex(data).toUpperCase();
      case 3:
        return Buffer.from(sha256Hex(data), 'hex').toString('base64');
      case 4:
        return 'zz'.repeat(32);
      default:
        return random.bytes(random.int(0, 40)).toString('hex');
    }
  };
  const data = (): Buffer => random.bytes([0, 1, 100, 4096, random.int(0, 65_536)][random.int(0, 4)] ?? 0);
  /** Valid bytes most of the time; otherwise truncated, flipped, or garbage. */
  const mangle = (bytes: Uint8Array): Buffer => {
    const b = Buffer.from(bytes);
    switch (random.int(0, 9)) {
      case 0:
        return b.subarray(0, random.int(0, b.length));
      case 1: {
        for (let i = 0; i < 4 && b.length > 0; i++) b[random.int(0, b.length - 1)] = random.int(0, 255);
        return b;
      }
      case 2:
        return random.bytes(random.int(0, 200));
      case 3:
        // A string field (1) whose length says 0x7fffffff, then nothing: a huge varint.
        return Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07]);
      case 4:
        // Field 1 as a length-delimited string of invalid UTF-8.
        return Buffer.from([0x0a, 0x04, 0xc3, 0x28, 0xff, 0xfe]);
      default:
        return b;
    }
  };

  // --- one generated call ----------------------------------------------------------------
  const calls: Array<[string, () => Promise<Outcome>]> = [
    [
      'InitiateUpload',
      async () => {
        const body = InitiateUploadRequest.encode(
          InitiateUploadRequest.fromPartial({
            drive: random.int(0, 2) === 0 ? text() : 'docs',
            filename: text(),
            nodeId: random.int(0, 3) === 0 ? text() : '',
            metadata: random.int(0, 4) === 0 ? { [text()]: text() } : {},
            sizeHint: BigInt(random.int(0, 2 ** 31)),
            fixedChunkSize: BigInt([0, 1, 4096, 2 ** 40][random.int(0, 3)] ?? 0),
          }),
        ).finish();
        const { outcome, reply } = await unary('InitiateUpload', mangle(body));
        if (outcome === status.OK && reply) {
          const id = /[0-9a-f-]{36}/.exec(reply.toString('latin1'))?.[0];
          if (id && uploads.length < 500) uploads.push(id);
        }
        return outcome;
      },
    ],
    [
      'UploadChunk',
      async () => {
        const bytes = data();
        const body = UploadChunkRequest.encode(
          UploadChunkRequest.fromPartial({
            uploadId: uploadId(),
            chunkNumber: chunkNumber(),
            data: bytes,
            sha256: sha(bytes),
            force: random.int(0, 5) === 0,
          }),
        ).finish();
        return (await unary('UploadChunk', mangle(body))).outcome;
      },
    ],
    ['UploadChunkStream', () => stream()],
    [
      'CompleteUpload',
      async () =>
        (
          await unary(
            'CompleteUpload',
            mangle(
              CompleteUploadRequest.encode(
                CompleteUploadRequest.fromPartial({
                  uploadId: uploadId(),
                  totalChunks: chunkNumber(),
                  sha256: sha(Buffer.alloc(0)),
                }),
              ).finish(),
            ),
          )
        ).outcome,
    ],
    [
      'AbortUpload',
      async () =>
        (
          await unary(
            'AbortUpload',
            mangle(
              AbortUploadRequest.encode(
                AbortUploadRequest.fromPartial({ uploadId: uploadId(), reason: text() }),
              ).finish(),
            ),
          )
        ).outcome,
    ],
    [
      'GetUploadStatus',
      async () =>
        (
          await unary(
            'GetUploadStatus',
            mangle(
              GetUploadStatusRequest.encode(
                GetUploadStatusRequest.fromPartial({ uploadId: uploadId() }),
              ).finish(),
            ),
          )
        ).outcome,
    ],
    [
      'ListUploads',
      async () =>
        (
          await unary(
            'ListUploads',
            mangle(
              ListUploadsRequest.encode(
                ListUploadsRequest.fromPartial({
                  pageSize: random.int(0, 5000),
                  pageToken: text(),
                  drive: text(),
                }),
              ).finish(),
            ),
          )
        ).outcome,
    ],
    ['WatchUpload', () => watch()],
    ['raw HTTP/2', () => rawHttp2()],
  ];

  /** A chunk stream that may lie about its size, stop early, or send its header twice. */
  function stream(): Promise<Outcome> {
    return new Promise((resolve) => {
      const call = client.makeClientStreamRequest(
        `${SERVICE}/UploadChunkStream`,
        identity,
        identity,
        auth(),
        { deadline: deadline() },
        (err) => resolve(ended(err)),
      );
      call.on('error', () => undefined);
      const bytes = data();
      const declared =
        [bytes.length, 0, bytes.length + 1, Math.max(0, bytes.length - 1), 2 ** 40][random.int(0, 4)] ?? 0;
      const header = UploadChunkStreamRequest.encode({
        frame: {
          $case: 'header',
          value: {
            uploadId: uploadId(),
            chunkNumber: chunkNumber(),
            sha256: sha(bytes),
            force: false,
            crc32c: '',
            size: BigInt(declared),
          },
        },
      }).finish();
      const frame = (b: Buffer) =>
        Buffer.from(UploadChunkStreamRequest.encode({ frame: { $case: 'data', value: b } }).finish());
      const plan = random.int(0, 5);
      if (plan !== 1) call.write(mangle(header));
      if (plan === 2) call.write(Buffer.from(header));
      for (let o = 0; o < bytes.length; o += 16_384) call.write(frame(bytes.subarray(o, o + 16_384)));
      if (plan === 3) {
        call.cancel();
        return;
      }
      call.end();
    });
  }

  /** A watch, given up by the client after its first message (or ended by the server first). */
  function watch(): Promise<Outcome> {
    return new Promise((resolve) => {
      const body = mangle(
        WatchUploadRequest.encode(WatchUploadRequest.fromPartial({ uploadId: uploadId() })).finish(),
      );
      const call = client.makeServerStreamRequest(
        `${SERVICE}/WatchUpload`,
        identity,
        identity,
        body,
        auth(),
        { deadline: deadline() },
      );
      let done = false;
      const finish = (outcome: Outcome): void => {
        if (done) return;
        done = true;
        resolve(outcome);
      };
      call.on('data', () => {
        finish(status.OK);
        call.cancel();
      });
      call.on('error', (err: ServiceError) => finish(ended(err)));
      call.on('status', (s: { code: status }) =>
        finish(s.code === status.DEADLINE_EXCEEDED ? 'unanswered' : s.code),
      );
    });
  }

  /** gRPC over raw HTTP/2 with a broken message frame: a length prefix that lies, or a compressed flag with no encoding. */
  function rawHttp2(): Promise<Outcome> {
    return new Promise((resolve) => {
      const session = connect(`http://${options.server}`);
      session.on('error', () => resolve('unanswered'));
      const req = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'POST',
        [h2.HTTP2_HEADER_PATH]: `${SERVICE}/${['UploadChunk', 'InitiateUpload', 'UploadChunkStream'][random.int(0, 2)]}`,
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${options.apiKey}`,
      });
      const timer = setTimeout(() => {
        req.close();
        session.close();
        resolve('unanswered');
      }, deadlineMs);
      let code: number | undefined;
      const statusOf = (headers: IncomingHttpHeaders): void => {
        const value = headers['grpc-status'];
        if (value !== undefined) code = Number(value);
      };
      req.on('response', statusOf);
      req.on('trailers', statusOf);
      req.on('data', () => undefined);
      req.on('close', () => {
        clearTimeout(timer);
        session.close();
        resolve(code ?? 'unanswered');
      });
      req.on('error', () => undefined);
      const body = random.bytes(random.int(0, 300));
      const prefix = Buffer.alloc(5);
      prefix[0] = random.int(0, 1);
      prefix.writeUInt32BE([body.length, body.length + 10, 0xffffffff][random.int(0, 2)] ?? 0, 1);
      req.end(Buffer.concat([prefix, body.subarray(0, random.int(0, body.length))]));
    });
  }

  // --- the run ---------------------------------------------------------------------------
  const idle = Array.from({ length: options.idleStreams ?? 20 }, () => {
    let outcome: Outcome = 'unanswered';
    const call = client.makeClientStreamRequest(
      `${SERVICE}/UploadChunkStream`,
      identity,
      identity,
      auth(),
      {},
      (err) => {
        outcome = ended(err);
      },
    );
    call.on('error', () => undefined);
    return { call, outcome: () => outcome };
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 32 }, async () => {
      while (next < options.requests) {
        next++;
        const [kind, run] = calls[random.int(0, calls.length - 1)] ?? calls[0]!;
        note(kind, await run());
      }
    }),
  );
  for (const { call } of idle) call.end();
  await new Promise((r) => setTimeout(r, 1000));
  for (const { outcome } of idle) note('idle stream', outcome());
  client.close();
  return { requests: options.requests + idle.length, unanswered, statuses, kinds, examples };
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
