/**
 * The status API over HTTP, answered from MySQL:
 * - `GET /v1/uploads/:id[?tenant=&chunks=false]`: one upload (404 UPLOAD_NOT_FOUND when
 *   unknown, or another tenant's), with its staged chunk numbers unless `chunks=false`;
 * - `GET /v1/uploads?tenant=&status=&drive=&created_after=&created_before=&page_size=&page_token=`:
 *   newest first, `status` one or several (comma-separated or repeated), times ISO-8601
 *   (`created_after` inclusive, `created_before` exclusive), keyset pages via `next_page_token`.
 */
import { InvalidArgumentError } from '@sluice/errors';
import {
  isUploadStatus,
  toUploadJson,
  type ListUploadsQuery,
  type UploadReader,
  type UploadStatusName,
} from '@sluice/projection';
import type { FastifyInstance } from 'fastify';

type Query = Record<string, string | string[] | undefined>;

function one(query: Query, name: string): string | undefined {
  const v = query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function time(query: Query, name: string): Date | undefined {
  const raw = one(query, name);
  if (raw === undefined) return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`${name}=${raw} is not a time; use ISO-8601, e.g. 2026-05-01T00:00:00Z`);
  }
  return d;
}

function statuses(query: Query): UploadStatusName[] | undefined {
  const raw = query['status'];
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : [raw])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const name of names) {
    if (!isUploadStatus(name)) {
      throw new InvalidArgumentError(
        `status=${name} is not a status; use INITIATED, UPLOADING, SEALED, STORED, COMPLETED, FAILED, ABORTED or EXPIRED`,
      );
    }
  }
  return names.length > 0 ? (names as UploadStatusName[]) : undefined;
}

function pageSize(query: Query): number | undefined {
  const raw = one(query, 'page_size');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`page_size=${raw} is not a whole number`);
  return Number(raw);
}

/** Adds the status routes to `app`. */
export function uploadRoutes(app: FastifyInstance, queries: UploadReader): void {
  app.get<{ Params: { id: string }; Querystring: Query }>('/v1/uploads/:id', async (req) => {
    const tenant = one(req.query, 'tenant');
    const view = await queries.get(req.params.id, {
      ...(tenant === undefined ? {} : { tenant }),
      withChunks: one(req.query, 'chunks') !== 'false',
    });
    return toUploadJson(view);
  });

  app.get<{ Querystring: Query }>('/v1/uploads', async (req) => {
    const q = req.query;
    const filter: ListUploadsQuery = {
      tenant: one(q, 'tenant'),
      status: statuses(q),
      drive: one(q, 'drive'),
      createdAfter: time(q, 'created_after'),
      createdBefore: time(q, 'created_before'),
      pageSize: pageSize(q),
      pageToken: one(q, 'page_token'),
    };
    const page = await queries.list(filter);
    return { uploads: page.uploads.map(toUploadJson), next_page_token: page.nextPageToken };
  });
}
