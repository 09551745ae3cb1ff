import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressTracker, type UploadProgress } from '../src/progress.ts';

describe('ProgressTracker', () => {
  it('counts sent, acknowledged and resumed bytes, and reports every change', () => {
    const seen: UploadProgress[] = [];
    const p = new ProgressTracker(30, (x) => seen.push(x));
    p.acknowledged(10, true);
    p.add({ bytesRead: 20, bytesSent: 8 });
    p.add({ bytesSent: -8 }); // refused: its bytes are sent again
    p.add({ bytesSent: 10 });
    p.acknowledged(10, false);
    assert.deepEqual(
      {
        sent: p.current.bytesSent,
        acknowledged: p.current.bytesAcknowledged,
        resumed: p.current.bytesResumed,
        chunks: p.current.chunksAcknowledged,
      },
      { sent: 20, acknowledged: 20, resumed: 10, chunks: 2 },
    );
    assert.equal(seen.length, 5);
    assert.equal(seen[1]?.bytesSent, 18);
  });
});
