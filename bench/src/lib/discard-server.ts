/**
 * A grpc-js server of the same IntakeService whose UploadChunk and UploadChunkStream
 * receive the bytes and throw them away: the transport's own cost, the peer every
 * ingest latency is compared with. Run as a child process so it has its own event loop:
 *   node bench/src/lib/discard-server.ts <port>
 */
import { Server, ServerCredentials, status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { DEFAULT_RECEIVE_WINDOWS, IntakeServiceService, widenReceiveWindows } from '@sluice/proto';
import { countBuffersInHeapLimits } from '@sluice/startup';

// The same heap setting as ingest-api, so the two differ only in what they do with the bytes.
countBuffersInHeapLimits();

const port = Number(process.argv[2] ?? 0);
const server = new Server({ 'grpc.max_receive_message_length': 80 * 1024 * 1024 });
const unimplemented = (_call: unknown, callback: (err: { code: number; details: string }) => void): void =>
  callback({ code: status.UNIMPLEMENTED, details: 'discard server' });
const handlers: UntypedServiceImplementation = {
  initiateUpload: (_call: unknown, callback: (err: null, res: object) => void) =>
    callback(null, { uploadId: 'discard', nodeId: 'discard' }),
  uploadChunk: (
    call: { request: { chunkNumber: number; data: Uint8Array } },
    callback: (err: null, res: object) => void,
  ) =>
    callback(null, {
      chunkNumber: call.request.chunkNumber,
      size: BigInt(call.request.data.length),
      sha256: '',
      duplicate: false,
    }),
  uploadChunkStream: unimplemented,
  completeUpload: unimplemented,
  abortUpload: unimplemented,
  getUploadStatus: unimplemented,
  watchUpload: (call: { end: () => void }) => call.end(),
  listUploads: unimplemented,
};
// ingest-api's default receive windows, so the two differ only in what they do with the bytes.
widenReceiveWindows(server, DEFAULT_RECEIVE_WINDOWS);
server.addService(IntakeServiceService, handlers);
server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
  if (err) throw err;
  process.stdout.write(`${bound}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
