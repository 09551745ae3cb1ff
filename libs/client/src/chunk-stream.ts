import type { CallOptions, ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type {
  ChunkHeader,
  IntakeServiceClient,
  UploadChunkStreamRequest,
  UploadChunkStreamResponse,
} from '@sluice/proto';

/**
 * Bytes per data frame of UploadChunkStream. About 1 MiB: the server stages segments of that
 * size, and grpc-js moves 1 MiB frames faster than both smaller frames and one big message
 * (CEILINGS.md).
 */
export const FRAME_BYTES = 1024 * 1024;

/**
 * Sends one chunk as a header and ~1 MiB data frames, respecting the stream's flow control
 * (at most one frame waits in the stream's buffer). `done` gets the call's outcome; a refusal
 * that arrives early (back-pressure at the header) stops the frames at once.
 */
export function sendChunkStream(
  grpc: IntakeServiceClient,
  metadata: Metadata,
  options: Partial<CallOptions>,
  header: ChunkHeader,
  data: Buffer,
  done: (err: ServiceError | null, res?: UploadChunkStreamResponse) => void,
  onSent?: (bytes: number) => void,
): ClientWritableStream<UploadChunkStreamRequest> {
  let finished = false;
  let wake: (() => void) | undefined;
  const call = grpc.uploadChunkStream(metadata, options, (err, res) => {
    finished = true;
    wake?.();
    done(err, res);
  });
  // The outcome, failures included, arrives through the callback above; a write refused
  // because the call already ended must not become an unhandled 'error' event.
  call.on('error', () => undefined);

  const write = async (message: UploadChunkStreamRequest): Promise<void> => {
    if (call.write(message)) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      call.once('drain', resolve);
    });
    wake = undefined;
  };

  void (async () => {
    await write({ frame: { $case: 'header', value: header } });
    for (let offset = 0; offset < data.length && !finished; offset += FRAME_BYTES) {
      const frame = data.subarray(offset, offset + FRAME_BYTES);
      await write({ frame: { $case: 'data', value: frame } });
      onSent?.(frame.length);
    }
    if (!finished) call.end();
  })().catch(() => {
    // A frame the stream would not take: end the call, whose callback then reports it.
    call.cancel();
  });
  return call;
}
