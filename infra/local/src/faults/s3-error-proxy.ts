/**
 * An HTTP proxy in front of an S3 server that, while told to, answers a share of the requests
 * itself with S3's own 500 and 503 errors (InternalError, ServiceUnavailable, SlowDown), the
 * way a store under strain does. Everything else passes through untouched, headers included,
 * so request signatures still verify. Toxiproxy works below HTTP and cannot do this.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ERRORS = [
  { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  { status: 503, code: 'ServiceUnavailable', message: 'Please reduce your request rate.' },
  { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
] as const;

/** A running proxy. */
export interface S3ErrorProxy {
  /** `http://127.0.0.1:<port>`, for a drive's endpoint. */
  readonly url: string;
  /** Share of requests (0–1) answered with an error from now on. */
  setErrorRate(rate: number): void;
  /** Requests seen, and how many of them were answered with an error. */
  readonly counts: { requests: number; errors: number };
  close(): Promise<void>;
}

/** Starts a proxy to `upstream` (`http://host:port`) on a free port of 127.0.0.1. */
export async function startS3ErrorProxy(upstream: string, random: () => number): Promise<S3ErrorProxy> {
  const target = new URL(upstream);
  let rate = 0;
  const counts = { requests: 0, errors: 0 };
  const server = createServer((req, res) => {
    counts.requests++;
    if (random() < rate) {
      counts.errors++;
      refuse(req, res, ERRORS[Math.floor(random() * ERRORS.length)] ?? ERRORS[0]);
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    forward.once('error', () => res.destroy());
    req.once('error', () => forward.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setErrorRate: (r) => {
      rate = r;
    },
    counts,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Answers with an S3 error document once the request's body is read (as S3 does). */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  error: { status: number; code: string; message: string },
): void {
  req.resume();
  req.once('end', () => {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code>` +
      `<Message>${error.message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
    res.writeHead(error.status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      ...(error.status === 503 ? { 'retry-after': '1' } : {}),
    });
    res.end(body);
  });
}
