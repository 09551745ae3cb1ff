import { InvalidArgumentError } from '@sluice/errors';

/**
 * A checksum value sent by a client or a store is not in a form this lib reads: not hex, not
 * base64, or not the right number of bytes. Answered as INVALID_ARGUMENT.
 */
export class ChecksumFormatError extends InvalidArgumentError {
  /** Which value was malformed, as the caller named it (`sha256`, `x-amz-checksum-crc64nvme`...). */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message, { details: { field } });
    this.field = field;
  }
}
