import { toProjectionEvent, type ProjectionEvent, type SyntheticEvent } from '../src/index.ts';

/** The projection events of a synthetic history. */
export function projectionEvents(history: readonly SyntheticEvent[]): ProjectionEvent[] {
  return history.map((e) => toProjectionEvent(e.topic, e.envelope, new Date(0)));
}

/** A small seeded PRNG (mulberry32), so a failing order can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * `events` with some repeated, as at-least-once delivery and re-emission after a crash
 * produce them: the copy keeps the event id and content, its time may be later.
 */
export function withCopies(events: readonly ProjectionEvent[], random: () => number): ProjectionEvent[] {
  const out = [...events];
  for (const e of events) {
    if (random() < 0.3)
      out.push({ ...e, occurredAt: new Date(e.occurredAt.getTime() + Math.floor(random() * 5000)) });
    if (random() < 0.1) out.push(e);
  }
  return out;
}
