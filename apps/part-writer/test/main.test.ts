import { describe, it } from 'node:test';
import { MiB } from './harness.ts';
import { crashAndRestart } from './crash.ts';

describe('part-writer process', () => {
  it(
    'finishes a 64 MiB upload byte-identical when killed with SIGKILL twice and restarted',
    { timeout: 150_000 },
    async (t) => {
      await crashAndRestart(t, 64 * MiB, 2, 32 * MiB);
    },
  );
});
