import type { RawMessage } from '../src/batch-source.ts';

/** A raw record as the stream hands it over, for tests that need no broker. */
export function rawMessage(topic: string, offset: number, value: Buffer, partition = 0): RawMessage {
  return {
    key: Buffer.from('n'),
    value,
    headers: new Map(),
    topic,
    partition,
    timestamp: 1_700_000_000_000n,
    offset: BigInt(offset),
    leaderEpoch: 0,
    commit: () => undefined,
  } as unknown as RawMessage;
}
