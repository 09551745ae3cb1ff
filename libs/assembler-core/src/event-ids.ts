import { createHash } from 'node:crypto';

/** The four ways an upload ends, as announced on `intake.uploads`. */
export type OutcomeKind = 'upload-completed' | 'upload-failed' | 'upload-aborted' | 'upload-expired';

// Fixed namespace of the assembler's name-based ids; changing it would re-id every outcome.
const NAMESPACE = Buffer.from('3b0c7a52e1f94c2a8d6b59f0a4e7c1d3', 'hex');

/**
 * The event id of an upload's outcome: a name-based UUID (RFC 9562 version 5) of the upload
 * id and the outcome kind. Every attempt, instance and restart that announces the same
 * outcome of the same upload uses the same id, so consumers that dedupe by event id see it once.
 */
export function outcomeEventId(uploadId: string, kind: OutcomeKind): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${kind}/${uploadId}`, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
