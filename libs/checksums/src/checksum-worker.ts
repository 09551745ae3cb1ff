/**
 * A thread of a ChecksumPool: keeps one ChunkDigest per open session and feeds it the bytes the
 * pool copies into its shared arena, in the order they were posted. Protocol in checksum-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkDigest, type ChecksumAlgorithm } from './chunk-digest.ts';
import type { FromWorker, ToWorker, WorkerData } from './checksum-pool.ts';

const port = parentPort;
if (!port) throw new Error('checksum-worker.ts runs as a worker thread of a ChecksumPool');
const { arena, slotSize } = workerData as WorkerData;

const sessions = new Map<number, ChunkDigest<ChecksumAlgorithm>>();
const reply = (m: FromWorker): void => port.postMessage(m);

port.on('message', (message: ToWorker) => {
  const { id } = message;
  try {
    switch (message.op) {
      case 'open':
        sessions.set(id, new ChunkDigest({ algorithms: message.algorithms }));
        break;
      case 'update':
        // A cancelled session may still have updates on their way: they are dropped, and
        // their slot is handed back all the same.
        sessions.get(id)?.update(new Uint8Array(arena, message.slot * slotSize, message.length));
        reply({ id, op: 'hashed', slot: message.slot, bytes: message.length });
        break;
      case 'digest': {
        const digest = sessions.get(id);
        sessions.delete(id);
        if (!digest) throw new Error(`checksum session ${id} is not open`);
        const { sha256, ...crcs } = digest.digest() as Partial<Record<ChecksumAlgorithm, unknown>> & {
          size: number;
        };
        // sha256 may be a view on Node's shared buffer pool: send its 32 bytes, not the pool.
        reply({
          id,
          op: 'digest',
          sums: { ...crcs, ...(sha256 ? { sha256: Uint8Array.from(sha256 as Buffer) } : {}) },
        });
        break;
      }
      case 'cancel':
        sessions.delete(id);
        break;
    }
  } catch (err) {
    sessions.delete(id);
    reply({ id, op: 'error', message: (err as Error).message });
  }
});
