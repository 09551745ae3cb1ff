/**
 * The read side over the projection's tables, whatever the database: one upload by id, and
 * pages of a tenant's uploads newest first. Pages are cut by keyset on (created_at,
 * upload_id), which the `uploads_*_created` indexes serve in order, so a page costs the same
 * at any depth and rows projected meanwhile neither repeat nor shift later pages. Keys
 * compare as bytes on both databases (binary collation, COLLATE "C"), so pages cut the same.
 *
 * The queries and the rows they map to are built here; a {@link ReadBackend} per database
 * (mysql-upload-queries.ts, postgres-upload-queries.ts) runs them under its timeout.
 */
import { InvalidArgumentError, NotFoundError, type SluiceError } from '@sluice/errors';
import type { UploadRow } from './rows.ts';
import { columnList, fromSql, UPLOAD_COLUMNS } from './sql-rows.ts';
import type { UploadStatusName } from './status.ts';
import { toUploadView, type UploadView } from './upload-view.ts';

/** Filters and position of {@link UploadReader.list}. Absent filters match everything. */
export interface ListUploadsQuery {
  /** Only this tenant's uploads (the gRPC API always sets it to the caller's). */
  readonly tenant?: string;
  /** Only uploads in one of these statuses. */
  readonly status?: UploadStatusName | readonly UploadStatusName[];
  readonly drive?: string;
  /** Created at or after. */
  readonly createdAfter?: Date;
  /** Created strictly before. */
  readonly createdBefore?: Date;
  /** Uploads per page, 1 to {@link MAX_PAGE_SIZE}. @default 50 */
  readonly pageSize?: number;
  /** `nextPageToken` of the previous page; absent or '' for the first. */
  readonly pageToken?: string;
}

/** A page of uploads. */
export interface UploadPage {
  readonly uploads: readonly UploadView[];
  /** Token of the next page; '' when this is the last. */
  readonly nextPageToken: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** Options of {@link UploadReader.get}. */
export interface GetUploadOptions {
  /** The upload must belong to this tenant; another tenant's upload is not found. */
  readonly tenant?: string;
  /** Add the staged chunk numbers. @default false */
  readonly withChunks?: boolean;
}

/** Reads upload state from the projection's database. */
export interface UploadReader {
  /** The upload, or undefined when it is unknown (or another tenant's). */
  find(uploadId: string, options?: GetUploadOptions): Promise<UploadView | undefined>;
  /**
   * The upload.
   * @throws NotFoundError UPLOAD_NOT_FOUND when it is unknown (or another tenant's).
   */
  get(uploadId: string, options?: GetUploadOptions): Promise<UploadView>;
  /**
   * A page of uploads, newest first.
   * @throws InvalidArgumentError when the page size or token is malformed.
   */
  list(query?: ListUploadsQuery): Promise<UploadPage>;
}

/** Runs one query and returns its rows. */
export type Select = (sql: string, values: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** One database behind {@link SqlUploadReader}. */
export interface ReadBackend {
  /** The placeholder of the n-th value of a query, from 1: `?` or `$n`. */
  placeholder(n: number): string;
  /** A time as the database compares it with a time column. */
  time(d: Date): string;
  /** Runs the queries of `work`, each under the query timeout. */
  read<T>(work: (select: Select) => Promise<T>): Promise<T>;
  /** What the database's errors mean, as SluiceErrors. */
  error(err: unknown, doing: string): SluiceError;
}

/** A query's values, and their placeholders as they are added. */
class Values {
  readonly list: unknown[] = [];
  readonly #backend: ReadBackend;

  constructor(backend: ReadBackend) {
    this.#backend = backend;
  }

  add(value: unknown): string {
    this.list.push(value);
    return this.#backend.placeholder(this.list.length);
  }
}

/** {@link UploadReader} over a {@link ReadBackend}: the queries, the paging and the row mapping. */
export class SqlUploadReader implements UploadReader {
  readonly #backend: ReadBackend;

  constructor(backend: ReadBackend) {
    this.#backend = backend;
  }

  async find(uploadId: string, options: GetUploadOptions = {}): Promise<UploadView | undefined> {
    const v = new Values(this.#backend);
    let where = `upload_id = ${v.add(uploadId)}`;
    if (options.tenant !== undefined) where += ` AND tenant = ${v.add(options.tenant)}`;
    try {
      return await this.#backend.read(async (select) => {
        const [row] = await select(
          `SELECT ${columnList(UPLOAD_COLUMNS)} FROM uploads WHERE ${where}`,
          v.list,
        );
        if (!row) return undefined;
        const upload = fromSql<UploadRow>(UPLOAD_COLUMNS, row);
        if (!options.withChunks) return toUploadView(upload);
        const chunks = await select(
          `SELECT chunk_number FROM chunks WHERE upload_id = ${this.#backend.placeholder(1)} ORDER BY chunk_number`,
          [uploadId],
        );
        return toUploadView(
          upload,
          chunks.map((c) => Number(c['chunk_number'])),
        );
      });
    } catch (err) {
      throw this.#backend.error(err, `reading upload ${uploadId}`);
    }
  }

  async get(uploadId: string, options: GetUploadOptions = {}): Promise<UploadView> {
    const view = await this.find(uploadId, options);
    if (!view) {
      throw new NotFoundError(
        'UPLOAD_NOT_FOUND',
        `upload ${uploadId} is not known${options.tenant === undefined ? '' : ` for tenant ${options.tenant}`}; ` +
          'check the id, or wait a moment if it was just initiated (the projection follows the events)',
      );
    }
    return view;
  }

  async list(query: ListUploadsQuery = {}): Promise<UploadPage> {
    const pageSize =
      query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(
        `page_size is ${query.pageSize}; it must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    const after = query.pageToken ? decodePageToken(query.pageToken) : undefined;
    const v = new Values(this.#backend);
    const time = (d: Date): string => v.add(this.#backend.time(d));
    const where: string[] = [];
    if (query.tenant !== undefined) where.push(`tenant = ${v.add(query.tenant)}`);
    const statuses =
      query.status === undefined ? [] : typeof query.status === 'string' ? [query.status] : query.status;
    if (statuses.length === 1) where.push(`status = ${v.add(statuses[0])}`);
    else if (statuses.length > 1) where.push(`status IN (${statuses.map((s) => v.add(s)).join(', ')})`);
    if (query.drive !== undefined) where.push(`drive = ${v.add(query.drive)}`);
    if (query.createdAfter) where.push(`created_at >= ${time(query.createdAfter)}`);
    if (query.createdBefore) where.push(`created_at < ${time(query.createdBefore)}`);
    if (after) {
      // (created_at, upload_id) < (at, id), with the bound on created_at spelled out so both
      // databases start the index scan there.
      const at = this.#backend.time(after.createdAt);
      where.push(
        `created_at <= ${v.add(at)} AND (created_at < ${v.add(at)} OR upload_id < ${v.add(after.uploadId)})`,
      );
    }
    const sql =
      `SELECT ${columnList(UPLOAD_COLUMNS)} FROM uploads` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY created_at DESC, upload_id DESC LIMIT ${v.add(pageSize + 1)}`;
    try {
      const rows = await this.#backend.read((select) => select(sql, v.list));
      const page = rows.slice(0, pageSize).map((r) => toUploadView(fromSql<UploadRow>(UPLOAD_COLUMNS, r)));
      const last = page.at(-1);
      return {
        uploads: page,
        nextPageToken: rows.length > pageSize && last ? encodePageToken(last) : '',
      };
    } catch (err) {
      throw this.#backend.error(err, 'listing uploads');
    }
  }
}

/** The position after `upload` in the listing order, as an opaque token. */
export function encodePageToken(upload: { readonly createdAt: Date; readonly uploadId: string }): string {
  return Buffer.from(JSON.stringify({ v: 1, c: upload.createdAt.getTime(), u: upload.uploadId })).toString(
    'base64url',
  );
}

/**
 * The position a page token stands for.
 * @throws InvalidArgumentError when the token is not one {@link encodePageToken} made.
 */
export function decodePageToken(token: string): { createdAt: Date; uploadId: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: unknown;
      c?: unknown;
      u?: unknown;
    };
    if (
      parsed.v === 1 &&
      typeof parsed.c === 'number' &&
      Number.isFinite(parsed.c) &&
      typeof parsed.u === 'string'
    ) {
      return { createdAt: new Date(parsed.c), uploadId: parsed.u };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidArgumentError(
    'page_token is not a token this API issued; pass next_page_token from the previous page unchanged',
  );
}
