/**
 * Toxiproxy, built from the Go module proxy: a TCP proxy whose links can be cut, slowed,
 * shaped or reset through its HTTP API on the catalogue's port (18474). It holds no proxies of
 * its own; `npm run test:faults` (and the benchmark's shaped S3 link) create theirs and remove
 * them. Optional: a bare `up` leaves it out; `npm run infra -- up toxiproxy` starts it.
 */
import type { ServiceDriver } from '../service-driver.ts';

export const toxiproxy: ServiceDriver = {
  name: 'toxiproxy',
  aptPackages: [],
  startTimeoutMs: 15_000,
  async prepare(ctx) {
    const binary = await ctx.installers.toxiproxy();
    return { command: binary, args: ['-host', ctx.host, '-port', String(ctx.port)] };
  },
};
