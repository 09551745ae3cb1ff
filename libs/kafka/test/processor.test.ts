import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, UnavailableError } from '@sluice/errors';
import { createTopic, requireServices, uniqueName } from '@sluice/testing';
import { DEAD_LETTER_HEADERS } from '../src/index.ts';
import { committedOffset, produce, startProcessor, testConsumer, until } from './processor-helpers.ts';

describe('StreamProcessor against Kafka', { timeout: 120_000 }, () => {
  it('processes every record and holds the commit behind a slow record', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t);
    const groupId = uniqueName('group');
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    await produce(topic, values);

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen = new Set<string>();
    await startProcessor(t, {
      groupId,
      topics: [topic],
      handle: async (record) => {
        if (record.value === 'v3') await gate;
        seen.add(record.value);
      },
    });

    try {
      await until('the fast records', () => seen.size === 19);
      // Give a wrongly eager commit every chance to land before checking it did not.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await committedOffset(groupId, topic), 3n, 'the commit stops at the unfinished record');
    } finally {
      // Lets close() drain even when the assertion failed.
      release();
    }
    await until('all records committed', async () => (await committedOffset(groupId, topic)) === 20n);
    assert.equal(seen.size, 20);
  });

  it('runs records of one key in order while other keys go ahead', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t);
    // Keys: k0..k3, five records each, interleaved.
    const values = Array.from({ length: 20 }, (_, i) => `k${i % 4}:${Math.floor(i / 4)}`);
    await produce(topic, values, (v) => v.split(':')[0] ?? '');
    const order = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    await startProcessor(t, {
      groupId: uniqueName('group'),
      topics: [topic],
      concurrency: 8,
      handle: async (record) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, record.key === 'k0' ? 30 : 5));
        const [key, n] = record.value.split(':');
        order.set(key ?? '', [...(order.get(key ?? '') ?? []), Number(n)]);
        running--;
      },
    });
    await until('all records', () => [...order.values()].reduce((s, l) => s + l.length, 0) === 20);
    for (const list of order.values()) assert.deepEqual(list, [0, 1, 2, 3, 4]);
    assert.ok(peak > 1, 'different keys ran concurrently');
    assert.ok(peak <= 4, 'one key never ran twice at once');
  });

  it('frees the key for deferred work but commits only once it is done', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t);
    const groupId = uniqueName('group');
    await produce(topic, ['u:0', 'u:1', 'u:2'], () => 'u');
    let release!: () => void;
    const slowWork = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    await startProcessor(t, {
      groupId,
      topics: [topic],
      handle: (record) => {
        handled.push(record.value);
        // The first record's work outlives its handler; the others finish at once.
        return Promise.resolve(record.value === 'u:0' ? { done: slowWork } : undefined);
      },
    });
    try {
      await until('the later records of the key', () => handled.length === 3);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(
        await committedOffset(groupId, topic),
        -1n,
        'nothing is committed before the deferred work',
      );
    } finally {
      release();
    }
    await until('the commit', async () => (await committedOffset(groupId, topic)) === 3n);
  });

  it('retries retriable errors, dead-letters a poison record, and keeps the partition flowing', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t);
    const dlq = await createTopic(t, { prefix: `${topic}.dlq` });
    // The sink writes to `<topic><suffix>`: point the suffix at the test's DLQ topic.
    const suffix = dlq.slice(topic.length);
    await produce(topic, ['a', 'flaky', 'poison', 'b', 'c']);
    const done: string[] = [];
    const attempts = new Map<string, number>();
    const letters: string[] = [];
    const { registry } = await startProcessor(t, {
      groupId: uniqueName('group'),
      topics: [topic],
      backoff: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
      deadLetterSuffix: suffix,
      onDeadLetter: (letter) => {
        letters.push(letter.value?.toString() ?? '');
        return Promise.resolve();
      },
      handle: (record) => {
        const n = (attempts.get(record.value) ?? 0) + 1;
        attempts.set(record.value, n);
        if (record.value === 'flaky' && n < 2)
          return Promise.reject(new UnavailableError('STORAGE_UNAVAILABLE', 'S3 503'));
        if (record.value === 'poison')
          return Promise.reject(new UnavailableError('STORAGE_UNAVAILABLE', 'never works'));
        done.push(record.value);
        return Promise.resolve();
      },
    });
    await until('the partition to drain', () => done.length === 4 && letters.length === 1);
    assert.deepEqual(done.sort(), ['a', 'b', 'c', 'flaky']);
    assert.equal(attempts.get('poison'), 3, 'the poison record was tried maxAttempts times');
    assert.deepEqual(letters, ['poison']);

    // The dead letter is durable in Kafka with the original value and the error.
    const reader = testConsumer(uniqueName('dlq-reader'));
    t.after(() => reader.close(true));
    const stream = await reader.consume({ topics: [dlq], mode: 'earliest' });
    for await (const m of stream) {
      const headers = new Map([...m.headers].map(([k, v]) => [k.toString(), v.toString()]));
      assert.equal(m.value?.toString(), 'poison');
      assert.equal(headers.get(DEAD_LETTER_HEADERS.code), 'STORAGE_UNAVAILABLE');
      assert.equal(headers.get(DEAD_LETTER_HEADERS.attempts), '3');
      assert.equal(headers.get(DEAD_LETTER_HEADERS.topic), topic);
      assert.equal(headers.get(DEAD_LETTER_HEADERS.offset), '2');
      break;
    }
    const metrics = await registry.metrics();
    assert.match(metrics, /sluice_stream_dead_letters_total\{processor="test",topic="[^"]+"\} 1/);
    assert.match(metrics, /sluice_stream_retries_total\{processor="test",topic="[^"]+"\} 3/);
  });

  it('dead-letters a non-retriable error at once', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t);
    const dlq = await createTopic(t, { prefix: `${topic}.dlq` });
    await produce(topic, ['bad', 'good']);
    let badAttempts = 0;
    const done: string[] = [];
    const letters: string[] = [];
    await startProcessor(t, {
      groupId: uniqueName('group'),
      topics: [topic],
      deadLetterSuffix: dlq.slice(topic.length),
      onDeadLetter: (l) => Promise.resolve(void letters.push(l.error.code)),
      handle: (record) => {
        if (record.value === 'bad') {
          badAttempts++;
          return Promise.reject(new InvalidArgumentError('frame is garbage', { code: 'FRAME_INVALID' }));
        }
        done.push(record.value);
        return Promise.resolve();
      },
    });
    await until('both records', () => done.length === 1 && letters.length === 1);
    assert.equal(badAttempts, 1);
    assert.deepEqual(letters, ['FRAME_INVALID']);
  });
});
