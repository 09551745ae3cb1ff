import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkEvent, PartEvent } from '@sluice/proto';
import {
  createEventCodecs,
  describeSchemaMismatches,
  encodeFrame,
  InMemorySchemaRegistry,
  schemaMismatchOf,
  type StoredFrame,
} from '../src/index.ts';

const frame = (topic: StoredFrame['topic'], value: Buffer, offset = 7n): StoredFrame => ({
  topic,
  topicName: `t.${topic}`,
  partition: 0,
  offset,
  value,
});

describe('schemaMismatchOf', () => {
  it('passes records whose contentId names their topic’s schema', async () => {
    const registry = new InMemorySchemaRegistry();
    const codecs = await createEventCodecs(registry);
    const chunk = codecs['intake.chunks'].encode(ChunkEvent.fromPartial({ eventId: 'e1' }));
    assert.equal(await schemaMismatchOf(registry, frame('intake.chunks', chunk)), undefined);
  });

  it('names records written against a registry that was reset since', async () => {
    const before = new InMemorySchemaRegistry();
    const old = await createEventCodecs(before);
    const chunk = old['intake.chunks'].encode(ChunkEvent.fromPartial({ eventId: 'e1' }));
    const part = old['intake.parts'].encode(PartEvent.fromPartial({ eventId: 'e2' }));
    // The new registry is empty, and hands its ids out in another order: the parts schema
    // gets the id the old chunk records carry, and the old parts' id is nobody's.
    const after = new InMemorySchemaRegistry();
    await after.ensureSchema({
      artifactId: 'intake.parts',
      content: 'syntax = "proto3";\nmessage PartEvent {}\n',
    });
    assert.equal(old['intake.chunks'].schema.contentId, 1);

    const moved = await schemaMismatchOf(after, frame('intake.chunks', chunk));
    assert.deepEqual(moved, {
      topicName: 't.intake.chunks',
      partition: 0,
      offset: 7n,
      contentId: 1,
      answer: 'a schema without message ChunkEvent (it declares PartEvent)',
    });
    const gone = await schemaMismatchOf(after, frame('intake.parts', part));
    assert.equal(gone?.answer, 'no schema under this contentId (404)');

    const text = describeSchemaMismatches(
      [moved, gone].filter((m) => m !== undefined),
      'http://r/apis/registry/v3',
    );
    assert.match(text, /registry at http:\/\/r\/apis\/registry\/v3 does not hold/);
    assert.match(
      text,
      /t\.intake\.chunks partition 0 offset 7: contentId 1; the registry answers: a schema without/,
    );
    assert.match(text, /Restore the\nregistry's storage .* or re-register the old schemas/s);
  });

  it('leaves malformed frames and other messages to the dead-letter path', async () => {
    const registry = new InMemorySchemaRegistry();
    assert.equal(
      await schemaMismatchOf(registry, frame('intake.chunks', Buffer.from('not a frame'))),
      undefined,
    );
    const other = encodeFrame(999, 'PartEvent', new Uint8Array());
    assert.equal(await schemaMismatchOf(registry, frame('intake.chunks', other)), undefined);
    assert.equal(registry.calls.contentById, 0);
  });
});
