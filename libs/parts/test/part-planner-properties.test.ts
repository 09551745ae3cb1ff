import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MiB,
  PartPlanner,
  S3_LIMITS,
  partForOffset,
  partRange,
  partSizeOf,
  partsOfFile,
  planKind,
  readyParts,
  validatePartSizePolicy,
  type PartSizePolicy,
  type ReadyPart,
} from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';

/** One upload: the true chunk sizes and how the client declared them. */
interface Upload {
  readonly policy: PartSizePolicy;
  readonly sizes: readonly number[];
  readonly fixedChunkSize: number | undefined;
}

type Event = { kind: 'chunk'; chunkNumber: number } | { kind: 'seal' };

function randomUpload(random: SeededRandom): Upload {
  const policy = validatePartSizePolicy({
    kind: random.int(0, 1) === 0 ? 'fixed' : 'growing',
    partSize: 5 * MiB + random.int(0, 3 * MiB),
  });
  const sizes: number[] = [];
  if (random.int(0, 9) < 4) {
    const fixed = [4096 + random.int(0, 60_000), MiB, 3 * MiB + 1, 7 * MiB, 12 * MiB][random.int(0, 4)]!;
    const count = random.int(0, Math.min(3000, Math.floor((90 * MiB) / fixed)));
    for (let i = 0; i < count; i++) sizes.push(fixed);
    // The last chunk may be short, or empty, or full.
    if (count > 0 && random.int(0, 2) > 0) sizes[count - 1] = random.int(0, fixed);
    return { policy, sizes, fixedChunkSize: fixed };
  }
  const target = random.int(0, 3) === 0 ? random.int(0, 12 * MiB) : random.int(0, 90 * MiB);
  let total = 0;
  while (total < target && sizes.length < 3000) {
    const nextBoundary = partForOffset(policy, total).end;
    if (random.int(0, 9) === 0 && nextBoundary - total > 40) {
      // A run of 1-byte chunks across a part boundary.
      const before = nextBoundary - total - random.int(1, 20);
      sizes.push(before);
      total += before;
      for (let i = random.int(2, 40); i > 0; i--, total++) sizes.push(1);
      continue;
    }
    const roll = random.int(0, 99);
    const size =
      roll < 3
        ? 0
        : roll < 13
          ? random.int(1, 16)
          : roll < 33
            ? random.int(1024, 64 * 1024)
            : roll < 73
              ? random.int(256 * 1024, 4 * MiB)
              : random.int(4 * MiB, 20 * MiB);
    sizes.push(size);
    total += size;
  }
  return { policy, sizes, fixedChunkSize: undefined };
}

/** Every chunk once in random order, some delivered again, and the seal somewhere among them. */
function randomEvents(random: SeededRandom, upload: Upload): Event[] {
  const events: Event[] = upload.sizes.map((_, chunkNumber) => ({ kind: 'chunk', chunkNumber }));
  for (let i = events.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  for (let i = random.int(0, Math.ceil(events.length / 10)); i > 0; i--) {
    const again = events[random.int(0, events.length - 1)]!;
    events.splice(random.int(0, events.length), 0, again);
  }
  events.splice(random.int(0, events.length), 0, { kind: 'seal' });
  return events;
}

function offsetsOf(sizes: readonly number[]): number[] {
  let at = 0;
  return sizes.map((size) => ((at += size), at - size));
}

/** Ready parts straight from the definition: every byte of the range known, multipart proven, or the file's end known. */
function oracle(upload: Upload, known: ReadonlySet<number>, sealed: boolean): Set<number> {
  const { policy, sizes, fixedChunkSize: fixed } = upload;
  const offsets = offsetsOf(sizes);
  const intervals: [number, number][] = [];
  let knownBytes = 0;
  for (const c of known) knownBytes += sizes[c]!;
  let prefix = 0;
  while (prefix < sizes.length && known.has(prefix)) prefix++;
  const located = fixed === undefined ? [...Array(prefix).keys()] : [...known];
  for (const c of located) if (sizes[c]! > 0) intervals.push([offsets[c]!, offsets[c]! + sizes[c]!]);
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of intervals) {
    const last = merged.at(-1);
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const extent = merged.at(-1)?.[1] ?? 0;
  const fileSize = sizes.reduce((a, b) => a + b, 0);
  const n = sizes.length;
  const totalKnown =
    sealed && (n === 0 || (fixed === undefined ? prefix === n : known.has(n - 1))) ? fileSize : undefined;
  const firstPart = partSizeOf(policy, 1);
  const plan =
    totalKnown !== undefined
      ? planKind(policy, totalKnown)
      : knownBytes > firstPart || extent > firstPart
        ? 'multipart'
        : 'pending';
  const covered = (start: number, end: number): boolean => merged.some(([s, e]) => s <= start && e >= end);
  const ready = new Set<number>();
  if (plan === 'single') {
    if (totalKnown === 0 || covered(0, totalKnown!)) ready.add(1);
  } else if (plan === 'multipart' && extent > 0) {
    const lastPart = partForOffset(policy, (totalKnown ?? extent) - 1).partNumber;
    for (let p = 1; p <= lastPart; p++) {
      const range = partRange(policy, p);
      const end = totalKnown === undefined ? range.end : Math.min(range.end, totalKnown);
      if (covered(range.start, end)) ready.add(p);
    }
  }
  return ready;
}

function assertTiles(part: ReadyPart, upload: Upload): void {
  const offsets = offsetsOf(upload.sizes);
  let at = part.start;
  for (const segment of part.segments) {
    assert.equal(segment.chunkSize, upload.sizes[segment.chunkNumber]);
    assert.equal(offsets[segment.chunkNumber]! + segment.offsetInChunk, at, `part ${part.partNumber}`);
    assert.ok(segment.length > 0 && segment.offsetInChunk + segment.length <= segment.chunkSize);
    at += segment.length;
  }
  assert.equal(at, part.end, `segments of part ${part.partNumber} end at ${at}, not ${part.end}`);
  assert.equal(
    part.chunkAligned,
    part.segments.every((s) => s.offsetInChunk === 0 && s.length === s.chunkSize),
  );
}

/** Feeds the events, checking against the oracle as it goes; returns every part handed out. */
function play(upload: Upload, events: readonly Event[], random: SeededRandom): ReadyPart[] {
  const planner = new PartPlanner({ policy: upload.policy, fixedChunkSize: upload.fixedChunkSize });
  const known = new Set<number>();
  let sealed = false;
  const handedOut: ReadyPart[] = [];
  const numbers = new Set<number>();
  const checkEvery = Math.max(1, Math.floor(events.length / 8));
  events.forEach((event, step) => {
    if (event.kind === 'seal') {
      planner.seal(upload.sizes.length);
      sealed = true;
    } else {
      planner.addChunk(event.chunkNumber, upload.sizes[event.chunkNumber]!);
      known.add(event.chunkNumber);
    }
    for (const part of planner.takeReady()) {
      assert.ok(!numbers.has(part.partNumber), `part ${part.partNumber} handed out twice`);
      numbers.add(part.partNumber);
      for (const s of part.segments)
        assert.ok(known.has(s.chunkNumber), `chunk ${s.chunkNumber} not known yet`);
      assertTiles(part, upload);
      handedOut.push(part);
    }
    if (step % checkEvery === 0 || step === events.length - 1 || random.int(0, 50) === 0) {
      assert.deepEqual(
        [...numbers].sort((a, b) => a - b),
        [...oracle(upload, known, sealed)].sort((a, b) => a - b),
        `after event ${step}`,
      );
    }
  });
  return handedOut.sort((a, b) => a.partNumber - b.partNumber);
}

describe('PartPlanner, property-style over random chunkings and arrival orders', () => {
  it('hands out exactly the file’s parts, each once, as soon as their bytes are known', () => {
    const random = new SeededRandom(20_261_128);
    for (let round = 0; round < 300; round++) {
      const upload = randomUpload(random);
      const total = upload.sizes.reduce((a, b) => a + b, 0);
      const label = `round ${round}: ${upload.sizes.length} chunks, ${total} bytes, ${upload.policy.kind} ${upload.policy.partSize}, fixed chunk ${upload.fixedChunkSize}`;
      const first = play(upload, randomEvents(random, upload), random);
      const second = play(upload, randomEvents(random, upload), random);

      // Same bytes, other order: identical parts and segments.
      assert.deepEqual(second, first, label);
      assert.deepEqual(
        first.map(({ partNumber, start, end }) => ({ partNumber, start, end })),
        partsOfFile(upload.policy, total),
        label,
      );
      const kind = planKind(upload.policy, total);
      assert.ok(
        first.every((part) => part.upload === kind),
        label,
      );

      // S3's rules.
      assert.ok(first.length <= S3_LIMITS.maxParts);
      if (kind === 'multipart') {
        for (const part of first.slice(0, -1)) {
          const size = part.end - part.start;
          assert.ok(size >= S3_LIMITS.minPartSize && size <= S3_LIMITS.maxPartSize, label);
        }
      }

      // The pure function on the final state agrees, and skips taken parts.
      const chunkSizes = new Map(upload.sizes.map((size, i) => [i, size]));
      const taken = new Set(first.filter(() => random.int(0, 1) === 0).map((p) => p.partNumber));
      const work = readyParts({
        policy: upload.policy,
        chunkSizes,
        fixedChunkSize: upload.fixedChunkSize,
        totalChunks: upload.sizes.length,
        taken,
      });
      assert.deepEqual(
        work.parts,
        first.filter((p) => !taken.has(p.partNumber)),
        label,
      );
      assert.equal(work.totalSize, total);
      assert.equal(work.partCount, first.length);
    }
  });
});
