import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { ChunkEvent, PartEvent } from '@sluice/proto';
import {
  createEventCodec,
  createEventCodecs,
  decodeFrame,
  encodeFrame,
  envelopeSchema,
  InMemorySchemaRegistry,
  type FrameErrorReason,
} from '../src/index.ts';
import { chunkUploaded, partStored, uploadCompleted } from './samples.ts';

async function assertRejectsWith(
  work: Promise<unknown>,
  code: string,
  reason?: FrameErrorReason,
): Promise<SluiceError> {
  let caught: unknown;
  await assert.rejects(work, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SluiceError, `expected a SluiceError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (reason !== undefined) assert.equal(caught.details.reason, reason);
  return caught;
}

describe('createEventCodecs', () => {
  it('registers each topic as its own artifact with its .proto and round-trips every envelope', async () => {
    const registry = new InMemorySchemaRegistry();
    const codecs = await createEventCodecs(registry, { topicPrefix: 't1.' });
    assert.equal(codecs['intake.chunks'].topicName, 't1.intake.chunks');
    assert.equal(codecs['intake.chunks'].schema.artifactId, 't1.intake.chunks');
    assert.equal(codecs['intake.uploads'].messageName, 'UploadEvent');
    assert.equal(
      await registry.contentById(codecs['intake.parts'].schema.contentId),
      envelopeSchema('intake.parts'),
    );

    const chunk = chunkUploaded();
    const part = partStored();
    const upload = uploadCompleted();
    assert.deepEqual(await codecs['intake.chunks'].decode(codecs['intake.chunks'].encode(chunk)), chunk);
    assert.deepEqual(await codecs['intake.parts'].decode(codecs['intake.parts'].encode(part)), part);
    assert.deepEqual(await codecs['intake.uploads'].decode(codecs['intake.uploads'].encode(upload)), upload);
  });

  it('frames with the registered contentId and the envelope name, around the plain Protobuf bytes', async () => {
    const registry = new InMemorySchemaRegistry({ firstContentId: 300 });
    const codec = await createEventCodec(registry, 'intake.chunks');
    const event = chunkUploaded();
    const frame = decodeFrame(codec.encode(event));
    assert.equal(frame.contentId, codec.schema.contentId);
    assert.ok(frame.contentId >= 300);
    assert.equal(frame.messageName, 'ChunkEvent');
    assert.deepEqual(frame.payload, Buffer.from(ChunkEvent.encode(event).finish()));
  });

  it('finds the same version again on a restart instead of creating one', async () => {
    const registry = new InMemorySchemaRegistry();
    const first = await createEventCodec(registry, 'intake.uploads');
    const second = await createEventCodec(registry, 'intake.uploads');
    assert.deepEqual(second.schema, first.schema);
    assert.equal(registry.versions('intake.uploads').length, 1);
  });
});

describe('EventCodec.decode', () => {
  it('decodes frames written under another contentId of a schema that defines the envelope, asking the registry once', async () => {
    const registry = new InMemorySchemaRegistry();
    const codec = await createEventCodec(registry, 'intake.chunks');
    // A Java producer that auto-registered its own rendering of the schema.
    const other = await registry.ensureSchema({
      artifactId: 'intake.chunks-value',
      content: `// rendered elsewhere\n${envelopeSchema('intake.chunks')}`,
    });
    assert.notEqual(other.contentId, codec.schema.contentId);
    const event = chunkUploaded();
    const frame = encodeFrame(other.contentId, 'ChunkEvent', ChunkEvent.encode(event).finish());
    const before = registry.calls.contentById;
    assert.deepEqual(await codec.decode(frame), event);
    assert.deepEqual(await codec.decode(frame), event);
    assert.equal(registry.calls.contentById - before, 1, 'the second decode uses the remembered id');
  });

  it('refuses a contentId the registry does not have: FRAME_UNKNOWN_SCHEMA', async () => {
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks');
    const frame = encodeFrame(4242, 'ChunkEvent', ChunkEvent.encode(chunkUploaded()).finish());
    const error = await assertRejectsWith(codec.decode(frame), 'FRAME_UNKNOWN_SCHEMA', 'unknown-schema');
    assert.match(error.message, /contentId 4242, which the schema registry does not have/);
    assert.equal(error.retriable, false);
  });

  it('refuses a contentId whose schema does not define the envelope', async () => {
    const registry = new InMemorySchemaRegistry();
    const codec = await createEventCodec(registry, 'intake.chunks');
    const parts = await registry.ensureSchema({
      artifactId: 'intake.parts',
      content: envelopeSchema('intake.parts'),
    });
    const frame = encodeFrame(parts.contentId, 'ChunkEvent', ChunkEvent.encode(chunkUploaded()).finish());
    const error = await assertRejectsWith(codec.decode(frame), 'FRAME_UNKNOWN_SCHEMA', 'unknown-schema');
    assert.match(error.message, /defines no message ChunkEvent/);
  });

  it('refuses a frame of another message type', async () => {
    const codecs = await createEventCodecs(new InMemorySchemaRegistry());
    const partFrame = codecs['intake.parts'].encode(partStored());
    // Same contentId as the chunk codec's, wrong Ref.
    const frame = encodeFrame(
      codecs['intake.chunks'].schema.contentId,
      'PartEvent',
      PartEvent.encode(partStored()).finish(),
    );
    await assertRejectsWith(codecs['intake.chunks'].decode(frame), 'FRAME_INVALID', 'message-type');
    // A PartEvent frame on the chunks topic names a contentId whose schema has no ChunkEvent.
    await assertRejectsWith(
      codecs['intake.chunks'].decode(partFrame),
      'FRAME_UNKNOWN_SCHEMA',
      'unknown-schema',
    );
  });

  it('refuses a wrong magic byte, a truncated header and a payload that is not the envelope', async () => {
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks');
    const good = codec.encode(chunkUploaded());
    const wrongMagic = Buffer.from(good);
    wrongMagic[0] = 0x01;
    await assertRejectsWith(codec.decode(wrongMagic), 'FRAME_INVALID', 'magic-byte');
    await assertRejectsWith(codec.decode(good.subarray(0, 8)), 'FRAME_INVALID', 'truncated');
    // The Protobuf body cut in the middle of a field.
    await assertRejectsWith(codec.decode(good.subarray(0, good.length - 3)), 'FRAME_INVALID', 'payload');
    const garbage = encodeFrame(
      codec.schema.contentId,
      'ChunkEvent',
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    );
    const error = await assertRejectsWith(codec.decode(garbage), 'FRAME_INVALID', 'payload');
    assert.match(error.message, /not a valid ChunkEvent/);
  });

  it('says REGISTRY_UNAVAILABLE (retriable) when an unseen id cannot be looked up, and recovers', async () => {
    const registry = new InMemorySchemaRegistry();
    const codec = await createEventCodec(registry, 'intake.chunks');
    const other = await registry.ensureSchema({
      artifactId: 'other',
      content: `${envelopeSchema('intake.chunks')}\n// v2`,
    });
    const event = chunkUploaded();
    const frame = encodeFrame(other.contentId, 'ChunkEvent', ChunkEvent.encode(event).finish());
    registry.available = false;
    const error = await assertRejectsWith(codec.decode(frame), 'REGISTRY_UNAVAILABLE');
    assert.equal(error.retriable, true);
    // Frames under the codec's own id need no registry.
    assert.deepEqual(await codec.decode(codec.encode(event)), event);
    registry.available = true;
    assert.deepEqual(await codec.decode(frame), event);
  });
});
