import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RETRY_POLICIES,
  S3_REQUESTS_PER_PART_AT_MOST,
  stackedAttempts,
  withOverrides,
  type RetryLayer,
  type RetryPolicy,
} from '../src/index.ts';

const layers = Object.keys(RETRY_POLICIES) as RetryLayer[];
const policy = (name: RetryLayer): RetryPolicy => RETRY_POLICIES[name];

describe('RETRY_POLICIES', () => {
  it('is frozen', () => {
    assert.ok(Object.isFrozen(RETRY_POLICIES));
    assert.throws(() => {
      (RETRY_POLICIES as unknown as Record<string, unknown>).record = undefined;
    }, TypeError);
  });

  it('has well-formed entries', () => {
    for (const name of layers) {
      const p = policy(name);
      assert.ok(p.layer.length > 0, `${name}: says who retries`);
      assert.ok(
        p.attempts === Infinity || (Number.isInteger(p.attempts) && p.attempts >= 1),
        `${name}: attempts ${p.attempts} is a whole number ≥ 1, or Infinity`,
      );
      assert.ok(Number.isInteger(p.baseMs) && p.baseMs > 0, `${name}: baseMs ${p.baseMs}`);
      assert.ok(Number.isInteger(p.capMs) && p.capMs >= p.baseMs, `${name}: capMs ${p.capMs} ≥ baseMs`);
      assert.ok(p.jitter === 'full' || p.jitter === 'equal', `${name}: jitter ${p.jitter}`);
      assert.equal(typeof p.honoursPushback, 'boolean', `${name}: honoursPushback`);
      for (const outer of p.within) {
        assert.ok(layers.includes(outer), `${name}: runs within ${outer}, which is in the table`);
        assert.notEqual(outer, name, `${name}: does not run within itself`);
      }
    }
  });

  it('has no nesting cycle, so every stacked product is defined', () => {
    const visit = (name: RetryLayer, path: readonly RetryLayer[]): void => {
      assert.ok(!path.includes(name), `cycle: ${[...path, name].join(' → ')}`);
      for (const outer of policy(name).within) visit(outer, [...path, name]);
    };
    for (const name of layers) visit(name, []);
  });

  it('bounds the S3 requests of one part at the documented product', () => {
    const { s3Request, partWrite, record } = RETRY_POLICIES;
    assert.equal(S3_REQUESTS_PER_PART_AT_MOST, s3Request.attempts * partWrite.attempts * record.attempts);
    assert.equal(stackedAttempts('s3Request'), S3_REQUESTS_PER_PART_AT_MOST);
    assert.ok(Number.isFinite(S3_REQUESTS_PER_PART_AT_MOST));
    // The nesting the product stands on is what the table says.
    assert.ok(s3Request.within.includes('partWrite'));
    assert.ok(partWrite.within.includes('record'));
    assert.deepEqual(record.within, [], 'after the record comes the dead letter, not another retry');
  });

  it('says which layers honour a server pushback', () => {
    assert.equal(RETRY_POLICIES.client.honoursPushback, true);
    assert.equal(RETRY_POLICIES.s3Request.honoursPushback, true);
    assert.equal(RETRY_POLICIES.partWrite.honoursPushback, false);
  });

  it('keeps loops that may not drop anything unbounded', () => {
    for (const name of ['deadLetterProduce', 'streamReopen', 'projectorBatch'] as const)
      assert.equal(RETRY_POLICIES[name].attempts, Infinity, name);
    assert.equal(stackedAttempts('kafkaProduce'), Infinity, 'a dead letter is produced until it is durable');
  });
});

describe('withOverrides', () => {
  it('applies the options lib callers pass, and keeps the rest of the row', () => {
    const tuned = withOverrides(RETRY_POLICIES.record, { maxAttempts: 3, initialDelayMs: 10 });
    assert.deepEqual(tuned, { ...RETRY_POLICIES.record, attempts: 3, baseMs: 10 });
    assert.deepEqual(withOverrides(RETRY_POLICIES.record), { ...RETRY_POLICIES.record });
  });
});
