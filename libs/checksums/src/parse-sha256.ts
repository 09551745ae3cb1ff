import { ChecksumFormatError } from './errors.ts';

const HEX = /^[0-9a-fA-F]{64}$/;
// Standard or URL-safe alphabet, padded (44 characters) or not (43): 32 bytes either way.
const BASE64 = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * A client-sent SHA-256 as its 32 bytes: 64 hex digits (either case), or base64 of the 32
 * bytes (standard or URL-safe alphabet, with or without the padding `=`). Anything else throws
 * a ChecksumFormatError naming `field`. An absent value (the empty string in proto3) is the
 * caller's to recognise before calling: here it is malformed like any other.
 */
export function parseSha256(value: string, field = 'sha256'): Buffer {
  if (HEX.test(value)) return Buffer.from(value, 'hex');
  if (BASE64.test(value)) {
    const urlSafe = value.replace(/=$/, '').replaceAll('+', '-').replaceAll('/', '_');
    const bytes = Buffer.from(urlSafe, 'base64url');
    // 43 characters carry 258 bits: the last 2 must be zero, or two spellings name one digest.
    if (bytes.length === 32 && bytes.toString('base64url') === urlSafe) return bytes;
  }
  throw new ChecksumFormatError(
    field,
    `${field} must be a SHA-256 as 64 hex digits or as base64 of its 32 bytes (43 or 44 characters); ` +
      `got ${value.length === 0 ? 'an empty string' : `${value.length} characters`}`,
  );
}
