/**
 * The read side over the projection's tables: one upload by id, and pages of a tenant's
 * uploads newest first. Pages are cut by keyset on (created_at, upload_id), which the
 * `uploads_*_created` indexes serve in order, so a page costs the same at any depth and
 * rows projected meanwhile neither repeat nor shift later pages.
 */
import { InvalidArgumentError, NotFoundError } from '@sluice/errors';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { databaseError } from './mysql-errors.ts';
import type { UploadRow } from './rows.ts';
import { columnList, fromSql, READ_OPTIONS, sqlTime, UPLOAD_COLUMNS } from './sql-rows.ts';
import type { UploadStatusName } from './status.ts';
import { toUploadView, type UploadView } from './upload-view.ts';

/** Filters and position of {@link UploadQueries.list}. Absent filters match everything. */
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

/** Options of {@link UploadQueries.get}. */
export interface GetUploadOptions {
  /** The upload must belong to this tenant; another tenant's upload is not found. */
  readonly tenant?: string;
  /** Add the staged chunk numbers. @default false */
  readonly withChunks?: boolean;
}

/** Reads upload state from the projection's database. */
export class UploadQueries {
  readonly #pool: Pool;
  readonly #timeout: number;

  /**
   * @param options.queryTimeoutMs How long one query may take before it fails
   *   DATABASE_UNAVAILABLE (its connection is dropped). @default 5000
   */
  constructor(options: { readonly pool: Pool; readonly queryTimeoutMs?: number }) {
    this.#pool = options.pool;
    this.#timeout = options.queryTimeoutMs ?? 5000;
  }

  /** The upload, or undefined when it is unknown (or another tenant's). */
  async find(uploadId: string, options: GetUploadOptions = {}): Promise<UploadView | undefined> {
    try {
      const where = options.tenant === undefined ? 'upload_id = ?' : 'upload_id = ? AND tenant = ?';
      const values = options.tenant === undefined ? [uploadId] : [uploadId, options.tenant];
      const [rows] = await this.#pool.query<RowDataPacket[]>({
        sql: `SELECT ${columnList(UPLOAD_COLUMNS)} FROM uploads WHERE ${where}`,
        values,
        timeout: this.#timeout,
        ...READ_OPTIONS,
      });
      const row = rows[0];
      if (!row) return undefined;
      if (!options.withChunks) return toUploadView(fromSql<UploadRow>(UPLOAD_COLUMNS, row));
      const [chunks] = await this.#pool.query<RowDataPacket[]>({
        sql: 'SELECT chunk_number FROM chunks WHERE upload_id = ? ORDER BY chunk_number',
        values: [uploadId],
        timeout: this.#timeout,
      });
      return toUploadView(
        fromSql<UploadRow>(UPLOAD_COLUMNS, row),
        chunks.map((c) => Number(c['chunk_number'])),
      );
    } catch (err) {
      throw databaseError(err, `reading upload ${uploadId}`);
    }
  }

  /**
   * The upload.
   * @throws NotFoundError UPLOAD_NOT_FOUND when it is unknown (or another tenant's).
   */
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

  /**
   * A page of uploads, newest first.
   * @throws InvalidArgumentError when the page size or token is malformed.
   */
  async list(query: ListUploadsQuery = {}): Promise<UploadPage> {
    const pageSize =
      query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(
        `page_size is ${query.pageSize}; it must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: string, ...v: unknown[]): void => {
      where.push(clause);
      values.push(...v);
    };
    if (query.tenant !== undefined) add('tenant = ?', query.tenant);
    const statuses =
      query.status === undefined ? [] : typeof query.status === 'string' ? [query.status] : query.status;
    if (statuses.length === 1) add('status = ?', statuses[0]);
    else if (statuses.length > 1) add('status IN (?)', statuses);
    if (query.drive !== undefined) add('drive = ?', query.drive);
    if (query.createdAfter) add('created_at >= ?', sqlTime(query.createdAfter));
    if (query.createdBefore) add('created_at < ?', sqlTime(query.createdBefore));
    if (query.pageToken) {
      const after = decodePageToken(query.pageToken);
      const at = sqlTime(after.createdAt);
      add('(created_at < ? OR (created_at = ? AND upload_id < ?))', at, at, after.uploadId);
    }
    try {
      const [rows] = await this.#pool.query<RowDataPacket[]>({
        sql:
          `SELECT ${columnList(UPLOAD_COLUMNS)} FROM uploads` +
          (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
          ' ORDER BY created_at DESC, upload_id DESC LIMIT ?',
        values: [...values, pageSize + 1],
        timeout: this.#timeout,
        ...READ_OPTIONS,
      });
      const page = rows.slice(0, pageSize).map((r) => toUploadView(fromSql<UploadRow>(UPLOAD_COLUMNS, r)));
      const last = page.at(-1);
      return {
        uploads: page,
        nextPageToken: rows.length > pageSize && last ? encodePageToken(last) : '',
      };
    } catch (err) {
      throw databaseError(err, 'listing uploads');
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
