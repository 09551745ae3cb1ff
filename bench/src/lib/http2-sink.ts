/**
 * A plain `node:http2` server that reads each request body and throws it away: what HTTP/2
 * itself carries on this machine, under grpc-js's framing. Child process:
 *   node bench/src/lib/http2-sink.ts <port>
 */
import { createServer } from 'node:http2';

const port = Number(process.argv[2] ?? 0);
const WINDOW = 16 * 1024 * 1024;
// node's default 10 MB session memory cap answers a few big bodies in flight with ENHANCE_YOUR_CALM.
const server = createServer({ settings: { initialWindowSize: WINDOW }, maxSessionMemory: 1024 });
server.on('session', (session) => session.setLocalWindowSize(WINDOW));
server.on('stream', (stream) => {
  let bytes = 0;
  stream.on('data', (b: Buffer) => (bytes += b.length));
  stream.on('end', () => {
    stream.respond({ ':status': 200 });
    stream.end(String(bytes));
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
