import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The .proto file behind each topic's envelope, relative to proto/. */
export const PROTO_FILES = Object.freeze({
  'intake.chunks': 'sluice/intake/v1/chunk_event.proto',
  'intake.parts': 'sluice/intake/v1/part_event.proto',
  'intake.uploads': 'sluice/intake/v1/upload_event.proto',
  service: 'sluice/intake/v1/intake_service.proto',
} as const);

const protoRoot = join(import.meta.dirname, '..', '..', '..', 'proto');

/** The folder the .proto files are in (imports are relative to it), and a file's full path. */
export function protoPath(file?: (typeof PROTO_FILES)[keyof typeof PROTO_FILES]): string {
  return file === undefined ? protoRoot : join(protoRoot, file);
}

/** The text of a .proto file, as registered in the schema registry. */
export function protoSource(file: (typeof PROTO_FILES)[keyof typeof PROTO_FILES]): string {
  return readFileSync(join(protoRoot, file), 'utf8');
}
