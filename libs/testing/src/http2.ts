import { connect, type SecureClientSessionOptions } from 'node:http2';

/** The HTTP/2 receive windows a server advertises: for each stream, and for the connection. */
export interface AdvertisedWindows {
  readonly stream: number | undefined;
  readonly connection: number;
}

/**
 * Connects to `authority` (`http://host:port`, or `https://` with `options` such as `ca`) and
 * reads the receive windows the server gave it once the server has answered a PING: its SETTINGS
 * and any WINDOW_UPDATE of the connection come before that answer on the same connection, so
 * nothing here waits on a clock.
 */
export async function advertisedWindows(
  authority: string,
  options: SecureClientSessionOptions = {},
): Promise<AdvertisedWindows> {
  const session = connect(authority, options);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('error', reject);
      session.once('remoteSettings', () => resolve());
    });
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    return {
      stream: session.remoteSettings.initialWindowSize,
      connection: session.state.remoteWindowSize ?? Number.NaN,
    };
  } finally {
    session.destroy();
  }
}
