/**
 * The HTTP/2 receive window of a grpc-js server.
 *
 * A grpc-js server advertises Node's default window, 64 KiB, for each stream and for the whole
 * connection, and has no option to change it (grpc-node#3058 adds `grpc-node.flow_control_window`
 * on the server; until it lands there is none). A client then sends 64 KiB and waits for the
 * server's event loop to answer with a WINDOW_UPDATE before it sends the next 64 KiB, whatever
 * the link could carry: a busy server turns every chunk into hundreds of such waits. Measured in
 * the bench, a grpc-js server that discarded 16 MiB chunks took 280 MB/s with the default window
 * while a plain node:http2 sink with a 16 MiB window took 1600.
 *
 * The window is not memory: grpc-js reads every DATA frame as it arrives, so a wider window lets
 * a client have its bytes in flight sooner but lets no more of them wait in the server. What a
 * server holds is bounded by its own limits on calls and chunks in flight, as before.
 */
import type { Http2Server, Http2Session, Settings } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/** What this module reaches inside a grpc-js Server: both are private, so both are checked. */
interface GrpcServerInternals {
  commonServerOptions?: { settings?: Settings };
  _setupHandlers?: (http2Server: Http2Server, ...rest: unknown[]) => void;
}

/**
 * 4 MiB: 64 times Node's default. In the bench it took a grpc-js server discarding 16 MiB chunks
 * (8 in flight) from 280 to 390 MB/s, and 16 MiB did no better. Unary messages are read as they
 * arrive whatever the window, so it keeps no more of them in memory; a streaming call the server
 * has paused holds at most one window of its bytes.
 */
export const DEFAULT_RECEIVE_WINDOW_BYTES = 4 * 1024 * 1024;

/** The largest window HTTP/2 allows (RFC 9113 §6.9.1). */
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/**
 * Makes `server` advertise `bytes` as the receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE)
 * and of each connection (a WINDOW_UPDATE when the session opens). Call it before `bindAsync`.
 * @throws TypeError when `bytes` is not a window HTTP/2 allows, or when this grpc-js no longer
 *   has the internals it changes, so an upgrade that moved them fails at start, not slowly.
 */
export function widenReceiveWindow(server: Server, bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 65_535 || bytes > MAX_WINDOW_BYTES) {
    throw new TypeError(
      `a receive window is a whole number of bytes from 65535 to ${MAX_WINDOW_BYTES}, not ${bytes}`,
    );
  }
  const internals = server as unknown as GrpcServerInternals;
  const options = internals.commonServerOptions;
  const setupHandlers = internals._setupHandlers;
  if (typeof options !== 'object' || typeof setupHandlers !== 'function') {
    throw new TypeError(
      'this @grpc/grpc-js Server has no commonServerOptions or _setupHandlers: the receive window ' +
        'cannot be set; use its grpc-node.flow_control_window option if it has one',
    );
  }
  options.settings = { ...options.settings, initialWindowSize: bytes };
  const widen = (session: Http2Session): void => session.setLocalWindowSize(bytes);
  internals._setupHandlers = function (this: unknown, http2Server, ...rest) {
    // Before grpc-js's own listener, so the window is open before the first stream arrives.
    http2Server.on('session', widen);
    setupHandlers.call(this, http2Server, ...rest);
  };
}
