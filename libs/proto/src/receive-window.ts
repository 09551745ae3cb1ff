/**
 * The HTTP/2 receive windows of a grpc-js server.
 *
 * A grpc-js server advertises Node's default window, 64 KiB, for each stream and for the whole
 * connection, and has no option to change it (grpc-node#3058 adds `grpc-node.flow_control_window`
 * on the server; until it lands there is none). A client then sends 64 KiB and waits a round trip
 * for the server's WINDOW_UPDATE before it sends the next 64 KiB, whatever the link could carry.
 * Measured here with the chunk channel sending 8 MiB UploadChunk calls, 8 in flight, to a grpc-js
 * server through Toxiproxy: 15.7 MB/s at a 2 ms round trip and 1.9 MB/s at 20 ms; with the
 * windows below, 380 and 340 MB/s.
 *
 * The windows are not memory a call takes: grpc-js reads a unary call's DATA frames as they
 * arrive. A streaming call grpc-js has paused (its handler has not asked for the next message)
 * holds at most one stream window, and a connection at most one connection window.
 */
import type { Http2Server, Http2Session, Settings } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/** What this module reaches inside a grpc-js Server: both are private, so both are checked. */
interface GrpcServerInternals {
  commonServerOptions?: { settings?: Settings };
  _setupHandlers?: (http2Server: Http2Server, ...rest: unknown[]) => void;
}

/** How much a client may send before the server reads it. */
export interface ReceiveWindows {
  /** On each call (SETTINGS_INITIAL_WINDOW_SIZE). */
  readonly stream: number;
  /** On each connection, all its calls together. */
  readonly connection: number;
}

/**
 * 4 MiB a call and 16 MiB a connection. A connection sends at most one connection window per
 * round trip: 4 MiB took 8 calls in flight to 94 MB/s at a 20 ms round trip, 16 MiB to 340. A
 * call's window is what a paused streaming call can hold, so it stays smaller; 4 MiB already
 * carries one call at 200 MB/s over 20 ms. On loopback ingest alone went from 231–258 to
 * 301–333 MB/s (16 MiB chunks, 8 in flight).
 */
export const DEFAULT_RECEIVE_WINDOWS: ReceiveWindows = Object.freeze({
  stream: 4 * 1024 * 1024,
  connection: 16 * 1024 * 1024,
});

/** The smallest window HTTP/2 starts with and the largest it allows (RFC 9113 §6.9). */
export const MIN_WINDOW_BYTES = 65_535;
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;

function checkWindow(name: string, bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < MIN_WINDOW_BYTES || bytes > MAX_WINDOW_BYTES) {
    throw new TypeError(
      `a ${name} receive window is a whole number of bytes from ${MIN_WINDOW_BYTES} to ${MAX_WINDOW_BYTES}, not ${bytes}`,
    );
  }
}

/**
 * Makes `server` advertise `windows`: the stream window in its SETTINGS, the connection window
 * as a WINDOW_UPDATE as soon as each connection opens. Call it before `bindAsync`.
 * @throws TypeError when a window is not one HTTP/2 allows, or when this grpc-js no longer has the
 *   internals it changes, so an upgrade that moved them fails at start, not slowly.
 */
export function widenReceiveWindows(server: Server, windows: ReceiveWindows): void {
  checkWindow('stream', windows.stream);
  checkWindow('connection', windows.connection);
  const internals = server as unknown as GrpcServerInternals;
  const options = internals.commonServerOptions;
  const setupHandlers = internals._setupHandlers;
  if (typeof options !== 'object' || typeof setupHandlers !== 'function') {
    throw new TypeError(
      'this @grpc/grpc-js Server has no commonServerOptions or _setupHandlers: the receive windows ' +
        'cannot be set; use its grpc-node.flow_control_window option if it has one',
    );
  }
  options.settings = { ...options.settings, initialWindowSize: windows.stream };
  const widen = (session: Http2Session): void => session.setLocalWindowSize(windows.connection);
  internals._setupHandlers = function (this: unknown, http2Server, ...rest) {
    // Before grpc-js's own listener, so the window is open before the first stream arrives.
    http2Server.on('session', widen);
    setupHandlers.call(this, http2Server, ...rest);
  };
}
