import assert from 'node:assert/strict';
import { it } from 'node:test';
import { carryTraceContext, contextOf, inSpan, logCorrelation, traceHeadersOf } from '../src/index.ts';

carryTraceContext();

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

it('without the SDK, records nothing but still carries a parent trace context through', async () => {
  assert.equal(traceHeadersOf(), undefined, 'no span, no headers');
  const inside = await inSpan('work', { parent: contextOf({ traceparent: PARENT }) }, () =>
    Promise.resolve({ headers: traceHeadersOf(), log: logCorrelation() }),
  );
  assert.equal(inside.headers?.traceparent, PARENT, 'the events of the work keep the trace');
  assert.deepEqual(inside.log, { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
  assert.equal(await inSpan('root', {}, () => Promise.resolve(traceHeadersOf())), undefined);
});
