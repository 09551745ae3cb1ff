import { SluiceError } from '@sluice/errors';
import type { UploadState, UploadStatus } from '@sluice/proto';
import { withRetry } from '../retry.ts';
import { finalStateError, parseStatus, statusName, waitForUpload } from '../wait.ts';
import { onePositional, parseCount, type CommandName, type Connection } from './args.ts';
import { clientFor, printJson, type CliIo } from './cli-io.ts';
import { EXIT, exitCodeOf, UsageError } from './exit-codes.ts';
import { formatBytes } from './progress-display.ts';

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** An upload's state as JSON, with the field names of the CLI's other JSON output. */
export function stateJson(s: UploadState): Record<string, unknown> {
  return {
    upload_id: s.uploadId,
    node_id: s.nodeId,
    drive: s.drive,
    status: statusName(s.status),
    filename: s.filename,
    bucket: s.bucket,
    key: s.key,
    chunks_staged: s.chunksStaged,
    bytes_staged: Number(s.bytesStaged),
    parts_stored: s.partsStored,
    bytes_stored: Number(s.bytesStored),
    total_chunks: s.totalChunks,
    staged_chunks: s.stagedChunks,
    error_code: s.errorCode || null,
    error_message: s.errorMessage || null,
    created_at: s.createdAt?.toISOString() ?? null,
    updated_at: s.updatedAt?.toISOString() ?? null,
  };
}

function stateLines(s: UploadState): string {
  const rows: Array<[string, string]> = [
    ['upload', s.uploadId],
    ['status', statusName(s.status)],
    ['node id', s.nodeId],
    ['drive', s.drive],
    ['file name', s.filename || '-'],
    ['object', `s3://${s.bucket}/${s.key}`],
    ['staged', `${s.chunksStaged} chunks, ${formatBytes(Number(s.bytesStaged))}`],
    ['stored', `${s.partsStored} parts, ${formatBytes(Number(s.bytesStored))}`],
    ['total chunks', s.totalChunks > 0 ? String(s.totalChunks) : '- (not sealed)'],
    ['created', s.createdAt?.toISOString() ?? '-'],
    ['updated', s.updatedAt?.toISOString() ?? '-'],
  ];
  if (s.errorCode || s.errorMessage) rows.push(['error', `${s.errorMessage} [${s.errorCode}]`]);
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

/** `sluice status`, `watch`, `abort` and `ls`. */
export async function uploadStateCommand(
  io: CliIo,
  command: Exclude<CommandName, 'upload'>,
  connection: Connection,
  values: Values,
  positionals: readonly string[],
): Promise<number> {
  if (command === 'ls') return list(io, connection, values, positionals);
  const uploadId = onePositional({ command, positionals });
  const client = clientFor(connection);
  try {
    await client.connect(io.signal);
    switch (command) {
      case 'status': {
        const state = await read('GetUploadStatus', () => client.status(uploadId, io.signal), io.signal);
        io.stdout.write(connection.json ? '' : `${stateLines(state)}\n`);
        if (connection.json) printJson(io.stdout, stateJson(state));
        return EXIT.OK;
      }
      case 'abort': {
        const reason = typeof values.reason === 'string' ? values.reason : 'aborted with the sluice CLI';
        await client.abort(uploadId, reason, io.signal);
        if (connection.json) printJson(io.stdout, { upload_id: uploadId, status: 'aborted' });
        else io.stdout.write(`upload ${uploadId} aborted\n`);
        return EXIT.OK;
      }
      case 'watch': {
        const final = await waitForUpload(client, uploadId, {
          signal: io.signal,
          onState: (s) => {
            if (connection.json) printJson(io.stdout, stateJson(s));
            else io.stdout.write(`${watchLine(s)}\n`);
          },
        });
        const error = finalStateError(final);
        return error ? exitCodeOf(error) : EXIT.OK;
      }
    }
  } finally {
    client.close();
  }
}

/** A read, retried a little: a blip should not fail the command, an outage should fail it soon. */
function read<T>(what: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  return withRetry(what, call, { signal, retry: { maxAttempts: 3, initialDelayMs: 200 } });
}

function watchLine(s: UploadState): string {
  const at = (s.updatedAt ?? new Date()).toISOString();
  const sealed = s.totalChunks > 0 ? ` of ${s.totalChunks}` : '';
  const error = s.errorMessage ? `: ${s.errorMessage}` : '';
  return (
    `${at} ${statusName(s.status).padEnd(9)} staged ${s.chunksStaged}${sealed} chunks ` +
    `(${formatBytes(Number(s.bytesStaged))}), stored ${formatBytes(Number(s.bytesStored))}${error}`
  );
}

async function list(
  io: CliIo,
  connection: Connection,
  values: Values,
  positionals: readonly string[],
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`ls takes no arguments (got ${positionals.join(' ')})`);
  let status: UploadStatus | undefined;
  if (typeof values.status === 'string') {
    status = parseStatus(values.status);
    if (status === undefined) {
      throw new UsageError(
        `--status ${values.status} is not a status: use initiated, uploading, sealed, stored, completed, failed, aborted or expired`,
      );
    }
  }
  const limit = typeof values.limit === 'string' ? parseCount('--limit', values.limit, 1, 10_000) : 50;
  const client = clientFor(connection);
  try {
    await client.connect(io.signal);
    const uploads: UploadState[] = [];
    let pageToken = '';
    do {
      const query = {
        ...(status === undefined ? {} : { status }),
        ...(typeof values.drive === 'string' ? { drive: values.drive } : {}),
        pageSize: Math.min(limit - uploads.length, 500),
        pageToken,
      };
      const page = await read('ListUploads', () => client.list(query, io.signal), io.signal).catch(
        (err: unknown) => {
          throw listingUnavailable(err);
        },
      );
      uploads.push(...page.uploads);
      pageToken = page.nextPageToken;
    } while (pageToken && uploads.length < limit);
    if (connection.json) {
      for (const u of uploads.slice(0, limit)) printJson(io.stdout, stateJson(u));
      return EXIT.OK;
    }
    io.stdout.write(
      `${'UPLOAD'.padEnd(36)}  ${'STATUS'.padEnd(9)}  ${'SIZE'.padStart(10)}  ${'CREATED'.padEnd(24)}  FILE\n`,
    );
    for (const u of uploads.slice(0, limit)) {
      io.stdout.write(
        `${u.uploadId.padEnd(36)}  ${statusName(u.status).padEnd(9)}  ${formatBytes(Number(u.bytesStaged)).padStart(10)}  ` +
          `${(u.createdAt?.toISOString() ?? '-').padEnd(24)}  ${u.filename || '-'}\n`,
      );
    }
    return EXIT.OK;
  } finally {
    client.close();
  }
}

/**
 * ListUploads is answered from the projector's database; an ingest-api without one refuses it
 * (UNIMPLEMENTED, or a refusal naming the projection). Say that plainly, not as a bad request.
 */
function listingUnavailable(err: unknown): unknown {
  if (!(err instanceof SluiceError)) return err;
  const unconnected =
    ['INVALID_ARGUMENT', 'CONFIG_INVALID'].includes(err.code) && /projection/i.test(err.message);
  if (err.code !== 'CALL_UNIMPLEMENTED' && !unconnected) return err;
  return new SluiceError(
    err.code,
    `this server cannot list uploads yet: the list comes from the projector's database, which this ingest-api ` +
      `is not connected to (${err.message}). Use sluice status <upload-id> for one upload`,
    { cause: err },
  );
}
