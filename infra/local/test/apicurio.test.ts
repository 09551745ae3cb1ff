import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { kafkaAdmin, requireServices, serviceUrl, uniqueName } from '@sluice/testing';

before(() => requireServices(['apicurio']));

const PROTO = `syntax = "proto3";
package sluice.test.v1;
option java_package = "dev.sluice.test.v1";
option java_multiple_files = true;

message Ping {
  string event_id = 1;
  int64 sent_at_ms = 2;
}
`;

interface CreateArtifactResponse {
  readonly artifact: { readonly artifactId: string; readonly artifactType: string };
  readonly version: { readonly contentId: number; readonly globalId: number; readonly version: string };
}

test('a Protobuf schema registered through the v3 API reads back by its contentId', async (t) => {
  const registry = serviceUrl('apicurio');
  const groupId = uniqueName('infra-test');
  const artifactId = uniqueName('ping');
  t.after(async () => {
    const response = await fetch(`${registry}/groups/${encodeURIComponent(groupId)}`, { method: 'DELETE' });
    assert.ok(
      response.ok || response.status === 404,
      `deleting group ${groupId} answered ${response.status}`,
    );
  });

  const created = await fetch(`${registry}/groups/${encodeURIComponent(groupId)}/artifacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      artifactId,
      artifactType: 'PROTOBUF',
      firstVersion: { content: { content: PROTO, contentType: 'application/x-protobuf' } },
    }),
  });
  assert.equal(created.status, 200, await created.clone().text());
  const body = (await created.json()) as CreateArtifactResponse;
  assert.equal(body.artifact.artifactId, artifactId);
  assert.equal(body.artifact.artifactType, 'PROTOBUF');
  assert.ok(Number.isInteger(body.version.contentId) && body.version.contentId > 0);

  const content = await fetch(`${registry}/ids/contentIds/${body.version.contentId}`);
  assert.equal(content.status, 200);
  assert.equal(await content.text(), PROTO);
});

test('the registry keeps its schemas on the local Kafka, in a journal that is never deleted', async () => {
  await requireServices(['kafka']);
  const admin = kafkaAdmin();
  const [journal] = await admin
    .describeConfigs({
      resources: [
        {
          resourceType: 2,
          resourceName: 'kafkasql-journal',
          configurationKeys: ['retention.ms', 'cleanup.policy'],
        },
      ],
    })
    .finally(() => admin.close());
  const config = new Map(journal?.configs.map((c) => [c.name, c.value]));
  assert.equal(config.get('retention.ms'), '-1');
  assert.equal(config.get('cleanup.policy'), 'delete');
});
