import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { countBuffersInHeapLimits } from '../src/index.ts';

describe('countBuffersInHeapLimits', () => {
  it('is skipped on a V8 that may not know the flag', () => {
    assert.equal(countBuffersInHeapLimits('12.4.254.21-node.33'), false);
  });

  it('cuts the full collections that churning large buffers cause', () => {
    // Two fresh processes allocate the same 1.5 GiB in 16 MiB buffers and count mark-compacts.
    const script = `
      import { PerformanceObserver, constants } from 'node:perf_hooks';
      import { countBuffersInHeapLimits } from '@sluice/startup';
      if (process.argv[1] === 'on' && !countBuffersInHeapLimits()) process.exit(3);
      let full = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
      }).observe({ entryTypes: ['gc'] });
      let keep;
      for (let i = 0; i < 96; i++) keep = Buffer.alloc(16 * 1024 * 1024, i);
      setTimeout(() => process.stdout.write(String(full + (keep.length > 0 ? 0 : 1))), 50);
    `;
    const run = (setting: 'on' | 'off'): number => {
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script, setting], {
        encoding: 'utf8',
      });
      assert.equal(out.status, 0, out.stderr);
      const count = Number(out.stdout.trim());
      assert.ok(
        Number.isInteger(count),
        `the child printed ${JSON.stringify(out.stdout)}, ${JSON.stringify(out.stderr)}`,
      );
      return count;
    };
    const before = run('off');
    const after = run('on');
    assert.ok(after < before, `full collections: ${after} with the setting, ${before} without`);
  });
});
