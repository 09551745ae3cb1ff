/**
 * Upload statuses and the precedence that makes them move forward only.
 *
 * Events of one upload reach the projector from three topics in any interleaving, so the
 * status is not "the last event's" but the one of highest precedence among all events seen:
 * a maximum, which is the same whatever the order and however often an event repeats.
 *
 * Precedence: INITIATED < UPLOADING < SEALED < STORED < every ending. Among endings, what the
 * assembler announces on `intake.uploads` (the public contract, written once per upload)
 * outranks what the part-writer reported on `intake.parts`, which outranks an abort the client
 * asked for on `intake.chunks`: each later stage knows more. Within one source the order
 * COMPLETED > FAILED > ABORTED > EXPIRED only breaks ties that should not happen.
 */

/** The statuses an upload's row can show (the gRPC `UploadStatus` without UNSPECIFIED). */
export const UPLOAD_STATUSES = [
  'INITIATED',
  'UPLOADING',
  'SEALED',
  'STORED',
  'COMPLETED',
  'FAILED',
  'ABORTED',
  'EXPIRED',
] as const;
export type UploadStatusName = (typeof UPLOAD_STATUSES)[number];

/** Statuses after which nothing more happens to the upload. */
export const TERMINAL_STATUSES: ReadonlySet<UploadStatusName> = new Set([
  'COMPLETED',
  'FAILED',
  'ABORTED',
  'EXPIRED',
]);

/** Rank of a status as each event sets it; a row keeps the highest rank it has seen. */
export const STATUS_RANK = Object.freeze({
  /** A row made before any of its events was folded in (never committed as such). */
  placeholder: 0,
  initiated: 10,
  uploading: 20,
  sealed: 30,
  stored: 40,
  abortRequested: 50,
  partWriterAborted: 51,
  partWriterFailed: 52,
  expired: 60,
  aborted: 61,
  failed: 62,
  completed: 63,
});

/** True for a status name this projection knows; for parsing filters. */
export function isUploadStatus(value: string): value is UploadStatusName {
  return (UPLOAD_STATUSES as readonly string[]).includes(value);
}

/** The gRPC `UploadStatus` number of a status (sluice.intake.v1.UploadStatus). */
export function uploadStatusNumber(status: UploadStatusName): number {
  return UPLOAD_STATUSES.indexOf(status) + 1;
}

/** The status of a gRPC `UploadStatus` number; undefined for UNSPECIFIED or unknown numbers. */
export function uploadStatusFromNumber(value: number): UploadStatusName | undefined {
  return UPLOAD_STATUSES[value - 1];
}
