/**
 * The contract with Java services (DESIGN.md "Wire format"): a consumer on Apicurio's stock
 * ProtobufKafkaDeserializer with its defaults decodes what Sluice produces, field by field, and
 * Sluice decodes what the stock ProtobufKafkaSerializer produces. Against the real Kafka and
 * Apicurio Registry; the Java side is interop/java, built once into $SLUICE_CACHE.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it, type TestContext } from 'node:test';
import { ChunkEvent, UploadEvent } from '@sluice/proto';
import {
  ApicurioRegistry,
  createEventCodec,
  decodeFrame,
  encodeFrame,
  envelopeSchema,
} from '@sluice/schema-registry';
import { createTopic, kafkaBrokers, requireServices, serviceUrl } from '@sluice/testing';
import { EventProducer } from '../src/index.ts';
import { header, readRecords, testProducer } from './helpers.ts';
import { javaInteropClasspath, runJavaInterop } from './java-interop.ts';
import { toProto3Json } from './proto3-json.ts';
import { chunkUploaded, uploadCompleted, uploadFailed, uploadInitiated } from './samples.ts';

interface JavaRecord {
  partition: number;
  offset: number;
  key: string;
  headers: Record<string, string>;
  javaType: string;
  messageType: string;
  value: Record<string, unknown>;
}

const registryUrl = serviceUrl('apicurio');
const brokers = kafkaBrokers().join(',');

function deleteArtifactsAfter(t: TestContext, ...artifactIds: string[]): void {
  t.after(async () => {
    for (const id of artifactIds) {
      await fetch(`${registryUrl}/groups/default/artifacts/${encodeURIComponent(id)}`, { method: 'DELETE' });
    }
  });
}

describe('Java interop (Apicurio 3.x Protobuf serdes on defaults)', () => {
  before(async () => {
    await requireServices(['kafka', 'apicurio']);
    // Builds the Java program on first use (Maven Central into ~/.m2, then cached).
    await javaInteropClasspath();
  });

  it('a Java consumer decodes Sluice’s ChunkEvents and UploadEvents field by field', async (t) => {
    const chunksTopic = await createTopic(t, { partitions: 3, prefix: 'interop-chunks' });
    const uploadsTopic = await createTopic(t, { partitions: 3, prefix: 'interop-uploads' });
    deleteArtifactsAfter(t, chunksTopic, uploadsTopic);
    const registry = new ApicurioRegistry({ url: registryUrl });
    const kafka = testProducer(t);
    const chunks = new EventProducer({
      producer: kafka,
      codec: await createEventCodec(registry, 'intake.chunks', { topicName: chunksTopic }),
    });
    const uploads = new EventProducer({
      producer: kafka,
      codec: await createEventCodec(registry, 'intake.uploads', { topicName: uploadsTopic }),
    });

    const node = `node-${randomUUID()}`;
    const sentChunks = [
      uploadInitiated(node),
      chunkUploaded(node, 0),
      chunkUploaded(`node-${randomUUID()}`, 3),
    ];
    const sentUploads = [uploadCompleted(node), uploadFailed(`node-${randomUUID()}`)];
    const producedChunks = await Promise.all(sentChunks.map((event) => chunks.produce(event)));
    await Promise.all(sentUploads.map((event) => uploads.produce(event)));

    const javaChunks = (await runJavaInterop(['consume', brokers, registryUrl, chunksTopic, '3'])).map(
      (line) => JSON.parse(line) as JavaRecord,
    );
    const javaUploads = (await runJavaInterop(['consume', brokers, registryUrl, uploadsTopic, '2'])).map(
      (line) => JSON.parse(line) as JavaRecord,
    );

    for (const [sent, received, messageType] of [
      [sentChunks, javaChunks, 'sluice.intake.v1.ChunkEvent'],
      [sentUploads, javaUploads, 'sluice.intake.v1.UploadEvent'],
    ] as const) {
      assert.equal(received.length, sent.length);
      for (const event of sent) {
        const record = received.find((r) => r.value.eventId === event.eventId);
        assert.ok(record, `the Java consumer did not decode event ${event.eventId}`);
        // Stock deserializer, no class configured: a DynamicMessage built from the registry's schema.
        assert.equal(record.javaType, 'com.google.protobuf.DynamicMessage');
        assert.equal(record.messageType, messageType);
        assert.equal(record.key, event.nodeId);
        assert.match(record.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        assert.deepEqual(record.value, toProto3Json(event));
      }
    }
    // Spot checks that do not rely on the JSON mapping above.
    const initiated = javaChunks.find((r) => r.value.eventId === sentChunks[0]!.eventId)!;
    const destination = (initiated.value.uploadInitiated as { destination: Record<string, unknown> })
      .destination;
    assert.equal(destination.checksumMode, 'CHECKSUM_MODE_CRC64NVME');
    assert.deepEqual(destination.partSizePolicy, { kind: 'PART_SIZE_KIND_FIXED', partSize: '16777216' });
    const chunk = javaChunks.find((r) => r.value.eventId === sentChunks[1]!.eventId)!;
    assert.equal((chunk.value.chunkUploaded as Record<string, unknown>).crc64nvme, '18364758544493064720');
    assert.equal((chunk.value.chunkUploaded as Record<string, unknown>).byteOffset, '0');
    assert.equal(chunk.partition, producedChunks[1]!.partition);
    assert.equal(chunk.offset, Number(producedChunks[1]!.offset));
  });

  it('Sluice decodes what the stock Java serializer produces, and partitions node_ids as Java does', async (t) => {
    const topic = await createTopic(t, { partitions: 4, prefix: 'interop-java-uploads' });
    deleteArtifactsAfter(t, topic, `${topic}-value`);
    const codec = await createEventCodec(new ApicurioRegistry({ url: registryUrl }), 'intake.uploads', {
      topicName: topic,
    });
    const sluice = new EventProducer({ producer: testProducer(t), codec });

    const engineEvent = uploadCompleted(`node-${randomUUID()}`);
    const autoEvent = uploadFailed(`node-${randomUUID()}`);
    // "engine": SimpleTopicIdStrategy + latest version of artifact <topic>, as the downstream engine.
    const engine = JSON.parse(
      (
        await runJavaInterop([
          'produce',
          brokers,
          registryUrl,
          topic,
          'UploadEvent',
          engineEvent.nodeId,
          JSON.stringify(toProto3Json(engineEvent)),
          'engine',
        ])
      )[0]!,
    ) as { partition: number; offset: number };
    // "auto-register": every default (TopicIdStrategy) but auto-register, so the Java serializer
    // registers its own rendering of the schema as <topic>-value under a new contentId.
    await runJavaInterop([
      'produce',
      brokers,
      registryUrl,
      topic,
      'UploadEvent',
      autoEvent.nodeId,
      JSON.stringify(toProto3Json(autoEvent)),
      'auto-register',
    ]);

    const records = await readRecords(topic, 2);
    const byEvent = new Map<string, { contentId: number; decoded: UploadEvent; partition: number }>();
    for (const record of records) {
      const frame = decodeFrame(record.value);
      assert.equal(frame.messageName, 'UploadEvent');
      assert.equal(header(record, 'apicurio.value.contentId'), undefined, 'no Apicurio headers on defaults');
      const decoded = await codec.decode(record.value);
      assert.equal(record.key.toString(), decoded.nodeId);
      byEvent.set(decoded.eventId, { contentId: frame.contentId, decoded, partition: record.partition });
    }
    const fromEngine = byEvent.get(engineEvent.eventId);
    const fromAuto = byEvent.get(autoEvent.eventId);
    assert.ok(fromEngine && fromAuto, 'both Java records decoded');
    assert.deepEqual(fromEngine.decoded, engineEvent);
    assert.deepEqual(fromAuto.decoded, autoEvent);
    assert.equal(fromEngine.contentId, codec.schema.contentId, 'the engine-style producer found our version');
    assert.notEqual(fromAuto.contentId, codec.schema.contentId, 'auto-register made its own content');

    // Same node_id from Sluice lands in the partition Java's default partitioner chose.
    const again = await sluice.produce(UploadEvent.fromPartial({ ...engineEvent, eventId: randomUUID() }));
    assert.equal(again.partition, engine.partition);
    assert.equal(fromEngine.partition, engine.partition);
  });

  it('a Java consumer decodes events of the old schema version and of a newer one that adds a field', async (t) => {
    const topic = await createTopic(t, { partitions: 1, prefix: 'interop-evolution' });
    deleteArtifactsAfter(t, topic);
    const registry = new ApicurioRegistry({ url: registryUrl });
    const codec = await createEventCodec(registry, 'intake.chunks', { topicName: topic });
    // A later release adds a field to ChunkEvent, registered under the compatibility rule.
    const added = envelopeSchema('intake.chunks').replace(
      '  google.protobuf.Timestamp occurred_at = 6;\n',
      '  google.protobuf.Timestamp occurred_at = 6;\n  string trace_note = 99;\n',
    );
    const v2 = await registry.ensureSchema({ artifactId: topic, content: added });
    assert.equal(v2.version, '2');
    const node = `node-${randomUUID()}`;
    const older = chunkUploaded(node, 0);
    const newer = chunkUploaded(node, 1);
    const newerBytes = Buffer.concat([
      ChunkEvent.encode(newer).finish(),
      Buffer.from([0x9a, 0x06, 0x05]), // field 99, length-delimited, 5 bytes
      Buffer.from('added'),
    ]);
    const kafka = testProducer(t);
    await new EventProducer({ producer: kafka, codec }).produce(older);
    await kafka.send({
      messages: [
        { topic, key: Buffer.from(node), value: encodeFrame(v2.contentId, 'ChunkEvent', newerBytes) },
      ],
    });

    const javaRecords = (await runJavaInterop(['consume', brokers, registryUrl, topic, '2'])).map(
      (line) => JSON.parse(line) as JavaRecord,
    );
    assert.equal(javaRecords.length, 2);
    const old = javaRecords.find((r) => r.value.eventId === older.eventId);
    const next = javaRecords.find((r) => r.value.eventId === newer.eventId);
    assert.deepEqual(old?.value, toProto3Json(older));
    assert.deepEqual(next?.value, { ...toProto3Json(newer), traceNote: 'added' });
    // And Sluice, on the generated code of the older schema, reads both.
    const records = await readRecords(topic, 2);
    const decoded = await Promise.all(records.map((r) => codec.decode(r.value)));
    assert.deepEqual(
      decoded.map((e) => e.eventId),
      [older.eventId, newer.eventId],
    );
  });
});
