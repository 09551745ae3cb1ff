import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { abortedOutcome } from '../src/index.ts';
import { assemblerStateSuite, part, who } from './assembler-state.suite.ts';
import { testRedis } from './support.ts';

assemblerStateSuite('AssemblyStore', testRedis);

describe('AssemblyStore', () => {
  it('keeps its hash beside the staging keys, expiring like them, and the outcome apart', async (t) => {
    const r = await testRedis(t);
    const id = randomUUID();
    await r.store.recordPart(id, part(1, 'one'), 100);
    assert.equal(r.store.stateKey(id), r.staging.keys.consumerState(id, 'assembler'));
    assert.ok((await r.redis.pttl(r.store.stateKey(id))) > 0, 'expires like the staging keys');
    await r.staging.deleteUpload(id);
    assert.equal(await r.redis.exists(r.store.stateKey(id)), 0, 'dropped with the upload');

    const done = randomUUID();
    await r.store.settle(done, abortedOutcome(who(done), 'client', [], new Date(1)));
    assert.equal(await r.store.recordPart(done, part(1, 'late')), false);
    assert.equal(await r.redis.exists(r.store.stateKey(done)), 0, 'a finished upload gets no state back');
    await r.staging.deleteUpload(done);
    assert.ok((await r.redis.pttl(r.store.outcomeKey(done))) > 0, 'the outcome outlives the upload keys');
  });
});
