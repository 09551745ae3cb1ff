/**
 * Requests that do not decode. grpc-js answers a request its deserializer throws on with
 * INTERNAL, which tells a client the server failed; the fault is the request's. Each method's
 * deserializer is wrapped so such a request reaches its handler as a {@link MalformedRequest},
 * which the handler answers INVALID_ARGUMENT with what was wrong.
 */
import { InvalidArgumentError } from '@sluice/errors';

/** What a deserializer made of bytes that were not a valid message. */
export class MalformedRequest {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    this.path = path;
    this.reason = reason;
  }
}

interface MethodDefinition {
  readonly path: string;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
}

/** The service definition with every request deserializer made to return, never throw. */
export function tolerantDecoding<S extends Readonly<Record<string, MethodDefinition>>>(service: S): S {
  const wrapped: Record<string, MethodDefinition> = {};
  for (const [name, method] of Object.entries(service)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(method.path, err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return wrapped as unknown as S;
}

/** @throws InvalidArgumentError when the request did not decode. */
export function requireWellFormed(request: unknown): void {
  if (!(request instanceof MalformedRequest)) return;
  throw new InvalidArgumentError(
    `the ${request.path} request is not a valid protobuf message (${request.reason}): ` +
      'encode it from the published .proto files',
    { code: 'MALFORMED_REQUEST' },
  );
}
