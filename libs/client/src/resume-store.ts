/**
 * Resume records: one small JSON file per (server, drive, node id, file) under a directory,
 * by default `$SLUICE_CACHE/uploads` (`~/.cache/sluice/uploads`). A record names the upload
 * a file went to and the chunk size it was cut at, with the file's size and mtime then, so a
 * second run continues that upload only if the file is the same, and cuts it the same way:
 *
 *   ~/.cache/sluice/uploads/<sha256 of [server, drive, nodeId, absolute path]>.json
 *   { "version": 1, "uploadId": "…", "chunkSize": 8388608, "size": …, "mtimeMs": …, … }
 *
 * Records are written atomically (temporary file, then rename) right after InitiateUpload and
 * removed once the upload is sealed. A record whose upload is gone (expired, aborted) is
 * dropped by the caller when the server says so. Records hold no credentials.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** What is remembered about one file's upload. */
export interface ResumeRecord {
  readonly version: 1;
  readonly server: string;
  readonly drive: string;
  /** The node id asked for ('' when the server chose it). */
  readonly requestedNodeId: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** The file's size and mtime when the upload started. */
  readonly size: number;
  readonly mtimeMs: number;
  readonly chunkSize: number;
  readonly uploadId: string;
  readonly nodeId: string;
  readonly createdAt: string;
}

/** What identifies one file's upload. */
export interface ResumeKey {
  readonly server: string;
  readonly drive: string;
  readonly requestedNodeId: string;
  readonly path: string;
}

/**
 * The default directory: `$SLUICE_CACHE/uploads`, else `$XDG_CACHE_HOME/sluice/uploads`,
 * else `~/.cache/sluice/uploads`.
 */
export function defaultResumeDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SLUICE_CACHE) return join(env.SLUICE_CACHE, 'uploads');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sluice', 'uploads');
}

/** Resume records in one directory. */
export class FileResumeStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Where the record of `key` lives. */
  fileOf(key: ResumeKey): string {
    const id = createHash('sha256')
      .update(JSON.stringify([key.server, key.drive, key.requestedNodeId, resolve(key.path)]))
      .digest('hex');
    return join(this.dir, `${id}.json`);
  }

  /**
   * The record of `key`, if there is one that still fits the file (same size and mtime);
   * a record that no longer fits is removed.
   */
  async load(
    key: ResumeKey,
    file: { readonly size: number; readonly mtimeMs: number },
  ): Promise<ResumeRecord | undefined> {
    const path = this.fileOf(key);
    let record: ResumeRecord;
    try {
      record = JSON.parse(await readFile(path, 'utf8')) as ResumeRecord;
    } catch {
      // Missing, or torn by a crash mid-write of an older version: either way nothing to resume.
      return undefined;
    }
    const fits =
      record.version === 1 &&
      typeof record.uploadId === 'string' &&
      Number.isSafeInteger(record.chunkSize) &&
      record.chunkSize > 0 &&
      record.size === file.size &&
      record.mtimeMs === file.mtimeMs;
    if (!fits) {
      await this.remove(key);
      return undefined;
    }
    return record;
  }

  /** Writes the record atomically. */
  async save(record: ResumeRecord): Promise<void> {
    const path = this.fileOf(record);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  }

  /** Forgets `key`'s upload. */
  async remove(key: ResumeKey): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }
}
