/**
 * Exported as `@sluice/staging/testing`, for tests only: an upload as ingest creates it, with
 * defaults for every field a test does not care about.
 */
import { randomUUID } from 'node:crypto';
import type { Destination, NewUpload } from '../src/index.ts';

/** A new upload; `destination` is merged into the default one. */
export function newUpload(
  overrides: Partial<Omit<NewUpload, 'destination'>> & { readonly destination?: Partial<Destination> } = {},
): NewUpload {
  const { destination, ...rest } = overrides;
  return {
    uploadId: randomUUID(),
    tenant: 'acme',
    drive: 'docs',
    nodeId: randomUUID(),
    filename: 'a.pdf',
    mimeType: 'application/pdf',
    metadata: { case: '42' },
    sizeHint: 0,
    fixedChunkSize: 0,
    clientRequestId: '',
    traceparent: '',
    ...rest,
    destination: {
      endpoint: 'http://127.0.0.1:17070',
      region: 'us-east-1',
      bucket: 'b',
      key: 'acme/docs/x',
      checksumMode: 'crc64nvme',
      partSizePolicy: { kind: 'fixed', partSize: 16 * 1024 * 1024 },
      ...destination,
    },
  };
}
