import { S3Client } from '@aws-sdk/client-s3';
import { RETRY_POLICIES } from '@sluice/retry';
import type { Drive } from '@sluice/tenants';

/** Options for {@link S3Clients}. */
export interface S3ClientsOptions {
  /** Time limit of one request. @default 60000 */
  readonly requestTimeoutMs?: number;
  /**
   * SDK-level attempts per request (the SDK's own retry with backoff and jitter, honouring
   * `Retry-After`). The innermost of three layers on a part's path: see `RETRY_POLICIES` in
   * @sluice/retry for the product.
   * @default 3 (`RETRY_POLICIES.s3Request.attempts`)
   */
  readonly maxAttempts?: number;
}

/**
 * One S3 client per drive, built on first use with the drive's endpoint, region,
 * credentials, path style and checksum calculation setting (stores that reject the
 * SDK's default CRC32 on every request need WHEN_REQUIRED).
 */
export class S3Clients {
  readonly #clients = new Map<string, S3Client>();
  readonly #o: S3ClientsOptions;

  constructor(options: S3ClientsOptions = {}) {
    this.#o = options;
  }

  for(drive: Drive): S3Client {
    let client = this.#clients.get(drive.name);
    if (!client) {
      client = new S3Client({
        endpoint: drive.endpoint,
        region: drive.region,
        forcePathStyle: drive.forcePathStyle,
        credentials: drive.credentials,
        requestChecksumCalculation: drive.requestChecksumCalculation,
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: this.#o.maxAttempts ?? RETRY_POLICIES.s3Request.attempts,
        requestHandler: { requestTimeout: this.#o.requestTimeoutMs ?? 60_000 },
      });
      this.#clients.set(drive.name, client);
    }
    return client;
  }

  close(): Promise<void> {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
    return Promise.resolve();
  }
}
