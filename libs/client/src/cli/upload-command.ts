import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { toSluiceError, type SluiceError } from '@sluice/errors';
import { fileError } from '../chunk-source.ts';
import { Limiter } from '../limiter.ts';
import { defaultResumeDir, FileResumeStore, type ResumeKey } from '../resume-store.ts';
import type { RetryNotice } from '../retry.ts';
import type { SluiceClient } from '../sluice-client.ts';
import { upload, UPLOAD_DEFAULTS, type UploadResult } from '../uploader.ts';
import { statusName } from '../wait.ts';
import { parseCount, parseSize, type Connection } from './args.ts';
import { clientFor, printJson, report, type CliIo } from './cli-io.ts';
import { EXIT, exitCodeOf, UsageError } from './exit-codes.ts';
import { formatBytes, ProgressDisplay } from './progress-display.ts';

/** Files uploaded at the same time; their chunks share the one `--concurrency` limit. */
const FILES_AT_ONCE = 4;

/** What `sluice upload` was asked to do. */
interface UploadRequest {
  readonly files: readonly string[];
  readonly drive: string;
  readonly chunkSize: number;
  readonly chunkSizeGiven: boolean;
  readonly concurrency: number;
  readonly nodeId: string | undefined;
  readonly mimeType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly wait: boolean;
  readonly resume: boolean;
}

/** One file to upload: `-` is standard input. */
interface Target {
  readonly file: string;
  /** Absolute, symlinks resolved; undefined for standard input. */
  readonly path: string | undefined;
  readonly size: number | undefined;
  readonly mtimeMs: number;
}

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

function readRequest(values: Values, positionals: readonly string[]): UploadRequest {
  const files = [...new Set(positionals)];
  if (files.length === 0) throw new UsageError('upload needs at least one file (or - for standard input)');
  if (typeof values.drive !== 'string' || values.drive === '') {
    throw new UsageError('upload needs --drive NAME: the drive to upload to');
  }
  const nodeId = typeof values['node-id'] === 'string' ? values['node-id'] : undefined;
  if (nodeId !== undefined && files.length > 1) {
    throw new UsageError('--node-id names one file: upload the files one at a time to give each its node id');
  }
  const metadata: Record<string, string> = {};
  for (const pair of (values.meta as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--meta ${pair} is not KEY=VALUE`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const chunkSize = values['chunk-size'];
  const concurrency = values.concurrency;
  return {
    files,
    drive: values.drive,
    chunkSize:
      typeof chunkSize === 'string' ? parseSize('--chunk-size', chunkSize) : UPLOAD_DEFAULTS.chunkSize,
    chunkSizeGiven: typeof chunkSize === 'string',
    concurrency:
      typeof concurrency === 'string'
        ? parseCount('--concurrency', concurrency, 1, 256)
        : UPLOAD_DEFAULTS.concurrency,
    nodeId,
    mimeType: typeof values['mime-type'] === 'string' ? values['mime-type'] : undefined,
    metadata,
    wait: values.wait === true,
    resume: values['no-resume'] !== true,
  };
}

/** Finds every file before anything is sent, so a typo fails the command at once. */
async function targets(files: readonly string[]): Promise<Target[]> {
  return Promise.all(
    files.map(async (file): Promise<Target> => {
      if (file === '-') return { file, path: undefined, size: undefined, mtimeMs: 0 };
      try {
        const path = await realpath(file);
        const s = await stat(path);
        if (!s.isFile())
          throw Object.assign(new Error('not a file'), { code: s.isDirectory() ? 'EISDIR' : 'EINVAL' });
        return { file, path, size: s.size, mtimeMs: s.mtimeMs };
      } catch (err) {
        throw fileError(file, err);
      }
    }),
  );
}

/** `sluice upload <file...> --drive D …` */
export async function uploadCommand(
  io: CliIo,
  connection: Connection,
  values: Values,
  positionals: readonly string[],
): Promise<number> {
  const request = readRequest(values, positionals);
  const client = clientFor(connection);
  try {
    const list = await targets(request.files);
    await client.connect(io.signal);
    const display = new ProgressDisplay(io.stdout, { tty: io.stdout.isTTY === true && !connection.json });
    for (const t of list) display.add(t.file, t.size);
    const limiter = new Limiter(request.concurrency);
    const store = new FileResumeStore(defaultResumeDir(io.env));
    const codes: number[] = [];
    const queue = [...list];
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        codes.push(await uploadOne(io, client, connection, request, t, limiter, store, display));
      }
    };
    await Promise.all(Array.from({ length: Math.min(FILES_AT_ONCE, list.length) }, worker));
    display.stop();
    return codes.find((c) => c !== EXIT.OK) ?? EXIT.OK;
  } finally {
    client.close();
  }
}

async function uploadOne(
  io: CliIo,
  client: SluiceClient,
  connection: Connection,
  request: UploadRequest,
  target: Target,
  limiter: Limiter,
  store: FileResumeStore,
  display: ProgressDisplay,
): Promise<number> {
  const { file, path } = target;
  // Progress notes go with the text output; warnings reach standard error in JSON mode too.
  const say = (text: string) => {
    if (!connection.json) display.line(text);
  };
  const warn = (text: string) => {
    if (connection.json) io.stderr.write(`sluice: ${text}\n`);
    else display.line(text);
  };
  const key: ResumeKey | undefined = path
    ? { server: connection.server, drive: request.drive, requestedNodeId: request.nodeId ?? '', path }
    : undefined;
  const record =
    key && request.resume
      ? await store.load(key, { size: target.size ?? 0, mtimeMs: target.mtimeMs })
      : undefined;
  if (record && request.chunkSizeGiven && record.chunkSize !== request.chunkSize) {
    warn(
      `${file}: resuming with the chunk size it started with (${formatBytes(record.chunkSize)}), not --chunk-size`,
    );
  }
  let uploadId = record?.uploadId;
  // Without a bar, say once per kind of trouble that the upload waits and retries.
  const told = new Set<string>();
  const onRetry = (n: RetryNotice) => {
    const kind = n.backPressure ? 'busy' : n.error.code;
    if (display.tty || told.has(kind)) return;
    told.add(kind);
    warn(
      n.backPressure
        ? `${file}: the server is full for now (${n.error.code}); waiting and retrying`
        : `${file}: ${n.error.message}; retrying`,
    );
  };
  let result: UploadResult;
  try {
    result = await upload(client, path ?? io.stdin, {
      drive: request.drive,
      ...(request.nodeId === undefined ? {} : { nodeId: request.nodeId }),
      filename: path ? basename(path) : '',
      ...(request.mimeType === undefined ? {} : { mimeType: request.mimeType }),
      metadata: request.metadata,
      chunkSize: record?.chunkSize ?? request.chunkSize,
      limiter,
      ...(record ? { resumeUploadId: record.uploadId } : {}),
      unresumable: 'restart',
      // The CLI prints the file's SHA-256, and has the server check the object against it.
      wholeFileSha256: true,
      onResumeRefused: (reason) =>
        warn(`${file}: cannot resume upload ${record?.uploadId} (${reason.message}); starting a new upload`),
      wait: request.wait,
      signal: io.signal,
      onProgress: (p) => {
        display.update(file, p);
        if (p.phase === 'waiting' && !told.has('waiting')) {
          told.add('waiting');
          say(`${file}: sealed upload ${p.uploadId}; waiting until it completes`);
        }
      },
      onRetry,
      onStarted: async (started) => {
        uploadId = started.uploadId;
        if (started.resumed) {
          say(`${file}: resuming upload ${started.uploadId}`);
          return;
        }
        if (key) {
          await store.save({
            version: 1,
            ...key,
            size: target.size ?? 0,
            mtimeMs: target.mtimeMs,
            chunkSize: started.chunkSize,
            uploadId: started.uploadId,
            nodeId: started.nodeId,
            createdAt: new Date().toISOString(),
          });
        }
        if (!display.tty) say(`${file}: uploading as upload ${started.uploadId}`);
      },
    });
  } catch (err) {
    const error = toSluiceError(err);
    display.finish(file);
    // An upload that can never go on is forgotten; one that was interrupted is kept for the next run.
    if (key && isDead(error)) await store.remove(key);
    if (connection.json) {
      printJson(io.stdout, {
        file,
        upload_id: uploadId ?? null,
        status: 'error',
        error: { code: error.code, message: error.message },
      });
    }
    display.stop();
    return report(io, error, connection, `${file}: `);
  }
  display.finish(file);
  if (key) await store.remove(key);
  if (connection.json) {
    printJson(io.stdout, {
      file,
      upload_id: result.uploadId,
      node_id: result.nodeId,
      bucket: result.bucket,
      key: result.key,
      size: result.size,
      sha256: result.sha256,
      status: statusName(result.status),
      chunks: result.totalChunks,
      chunks_sent: result.chunksSent,
      chunks_resumed: result.chunksResumed,
    });
  } else {
    const resumed =
      result.chunksResumed > 0
        ? `; ${result.chunksResumed} of ${result.totalChunks} chunks were already staged`
        : '';
    say(
      `${file}: ${statusName(result.status)} upload ${result.uploadId} → s3://${result.bucket}/${result.key} ` +
        `(${formatBytes(result.size)}, sha256 ${result.sha256}${resumed})`,
    );
  }
  return EXIT.OK;
}

function isDead(error: SluiceError): boolean {
  const code = exitCodeOf(error);
  return code === EXIT.ABORTED || error.code === 'UPLOAD_NOT_FOUND' || error.code === 'UPLOAD_FAILED';
}
