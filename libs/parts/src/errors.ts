import { FailedPreconditionError, InvalidArgumentError } from '@sluice/errors';

/** A part size policy breaks S3's rules; it comes from a drive's configuration. */
export class PartSizePolicyError extends FailedPreconditionError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** A file outgrows what its part size policy can cut into 10,000 parts. */
export class FileTooLargeError extends InvalidArgumentError {
  /** The largest file the policy allows, in bytes. */
  readonly maxFileSize: number;

  constructor(message: string, maxFileSize: number) {
    super(message, { details: { maxFileSize } });
    this.maxFileSize = maxFileSize;
  }
}

/**
 * Chunks contradict each other or the upload: a chunk past the sealed count, a chunk of the
 * wrong size for the declared fixed chunk size, a second seal with another count.
 */
export class ChunkLayoutError extends InvalidArgumentError {
  constructor(message: string, code: 'INVALID_ARGUMENT' | 'INVALID_CHUNK_NUMBER' = 'INVALID_ARGUMENT') {
    super(message, { code });
  }
}
