/**
 * Checksum throughput on this machine: every hashing choice on the ingest ACK path, measured in
 * the same run and reported as a ratio to node:crypto SHA-256 (which every chunk pays anyway).
 *
 *   bash infra/local/node.sh node bench/src/checksums.ts [--json]
 *
 * Input: a 16 MiB random buffer fed in 1 MiB updates, as gRPC stream frames arrive. Rounds
 * interleave the candidates so drift on a shared machine hits all of them alike; each figure
 * is the median round. Also times combining 10,000 chunk CRCs (the AllPartsStored path).
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Crc32c as AwsCrypto32c } from '@aws-crypto/crc32c';
import { Crc64Nvme as AwsCrc64Nvme } from '@aws-sdk/crc64-nvme';
import {
  ChunkDigest,
  Crc32c,
  Crc64Nvme,
  combineAll,
  defaultCrcEngineName,
  type CrcPiece,
} from '@sluice/checksums';

const MiB = 1024 * 1024;
const INPUT = randomBytes(16 * MiB);
const FRAME = MiB;
const ROUNDS = 7;
const MIN_ROUND_MS = 250;

interface Candidate {
  readonly name: string;
  /** Hashes INPUT once, frame by frame. */
  readonly run: () => void;
}

function frames(feed: (frame: Buffer) => void): void {
  for (let at = 0; at < INPUT.length; at += FRAME) feed(INPUT.subarray(at, at + FRAME));
}

const candidates: readonly Candidate[] = [
  {
    name: 'sha256 (node:crypto)',
    run: () => {
      const hash = createHash('sha256');
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc64nvme @aws-sdk/crc64-nvme (js)',
    run: () => {
      const hash = new AwsCrc64Nvme();
      frames((f) => hash.update(f));
    },
  },
  {
    name: 'crc64nvme @sluice/checksums native (clmul)',
    run: () => {
      const hash = new Crc64Nvme({ engine: 'native' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc64nvme @sluice/checksums wasm',
    run: () => {
      const hash = new Crc64Nvme({ engine: 'wasm' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc64nvme @sluice/checksums js',
    run: () => {
      const hash = new Crc64Nvme({ engine: 'js' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc32c @aws-crypto/crc32c',
    run: () => {
      const hash = new AwsCrypto32c();
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc32c @sluice/checksums native (@node-rs/crc32)',
    run: () => {
      const hash = new Crc32c({ engine: 'native' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc32c @sluice/checksums wasm',
    run: () => {
      const hash = new Crc32c({ engine: 'wasm' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc32c @sluice/checksums js',
    run: () => {
      const hash = new Crc32c({ engine: 'js' });
      frames((f) => hash.update(f));
      hash.digest();
    },
  },
  {
    name: 'crc32 node:zlib (ISO-HDLC)',
    run: () => {
      let crc = 0;
      frames((f) => (crc = zlibCrc32(f, crc)));
    },
  },
  {
    name: 'ChunkDigest sha256+crc64nvme',
    run: () => {
      const digest = new ChunkDigest({ algorithms: ['sha256', 'crc64nvme'] });
      frames((f) => digest.update(f));
      digest.digest();
    },
  },
  {
    name: 'ChunkDigest sha256+crc64nvme (wasm)',
    run: () => {
      const digest = new ChunkDigest({ algorithms: ['sha256', 'crc64nvme'], engine: 'wasm' });
      frames((f) => digest.update(f));
      digest.digest();
    },
  },
  {
    name: 'ChunkDigest sha256+crc64nvme+crc32c',
    run: () => {
      const digest = new ChunkDigest();
      frames((f) => digest.update(f));
      digest.digest();
    },
  },
  {
    name: 'ChunkDigest sha256+crc32 (zlib)',
    run: () => {
      const digest = new ChunkDigest({ algorithms: ['sha256', 'crc32'] });
      frames((f) => digest.update(f));
      digest.digest();
    },
  },
];

/** Bytes per second of one round: repeats until MIN_ROUND_MS has passed. */
function measure(candidate: Candidate): number {
  let bytes = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    candidate.run();
    bytes += INPUT.length;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_ROUND_MS);
  return bytes / (elapsed / 1000);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeMs(run: () => void, repeat: number): number {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

for (const candidate of candidates) candidate.run(); // warm up: JIT, table and wasm builds
const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const candidate of candidates) samples.get(candidate.name)!.push(measure(candidate));
}

const rates = candidates.map((c) => ({ name: c.name, mbPerSecond: median(samples.get(c.name)!) / 1e6 }));
const sha = rates[0]!.mbPerSecond;

// 10,000 chunk CRCs: distinct random lengths (worst case, one power per chunk) and equal lengths.
const randomPieces: CrcPiece<bigint>[] = Array.from({ length: 10_000 }, () => ({
  crc: randomBytes(8).readBigUInt64BE(),
  length: 1 + Math.floor(Math.random() * 64 * MiB),
}));
const equalPieces: CrcPiece<bigint>[] = randomPieces.map((p) => ({ crc: p.crc, length: 16 * MiB }));
const combineRandomMs = timeMs(() => combineAll('crc64nvme', randomPieces), 5);
const combineEqualMs = timeMs(() => combineAll('crc64nvme', equalPieces), 5);

const width = Math.max(...rates.map((r) => r.name.length));
console.log(`Node ${process.versions.node}, default CRC engine: ${defaultCrcEngineName()}`);
console.log(`${'algorithm'.padEnd(width)}  ${'MB/s'.padStart(7)}  ${'× sha256'.padStart(8)}`);
for (const r of rates) {
  console.log(
    `${r.name.padEnd(width)}  ${r.mbPerSecond.toFixed(0).padStart(7)}  ${(r.mbPerSecond / sha).toFixed(2).padStart(8)}`,
  );
}
console.log(`combineAll crc64nvme, 10,000 chunks of random lengths: ${combineRandomMs.toFixed(1)} ms`);
console.log(`combineAll crc64nvme, 10,000 chunks of 16 MiB:         ${combineEqualMs.toFixed(1)} ms`);

if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify({
      node: process.versions.node,
      frameBytes: FRAME,
      rates,
      combine10kRandomMs: combineRandomMs,
      combine10kEqualMs: combineEqualMs,
    }),
  );
}
