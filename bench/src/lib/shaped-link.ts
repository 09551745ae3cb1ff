import { createLink, type ToxicLink } from '@sluice/testing';

/** A network between two processes of this machine: a round trip, and a rate per connection. */
export interface LinkShape {
  /** Added to each round trip, half each way. */
  readonly rttMs: number;
  /** Each connection's rate, each way, in MB/s; unset for no limit. */
  readonly mbps?: number;
}

/**
 * A Toxiproxy link named `name` to `upstream` (`host:port`) with `shape`'s latency and rate,
 * each way. Remove it when done; one left by a killed run is replaced by the next of that name.
 */
export async function shapedLink(name: string, upstream: string, shape: LinkShape): Promise<ToxicLink> {
  const link = await createLink(name, upstream);
  try {
    for (const stream of ['upstream', 'downstream'] as const) {
      await link.addToxic({
        name: `latency-${stream}`,
        type: 'latency',
        stream,
        attributes: { latency: shape.rttMs / 2, jitter: 0 },
      });
      // Toxiproxy's rate is in KB/s of 1000 bytes, per connection and direction.
      if (shape.mbps !== undefined) {
        await link.addToxic({
          name: `bandwidth-${stream}`,
          type: 'bandwidth',
          stream,
          attributes: { rate: shape.mbps * 1000 },
        });
      }
    }
  } catch (err) {
    await link.remove().catch(() => undefined);
    throw err;
  }
  return link;
}
