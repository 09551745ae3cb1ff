/**
 * infra/compose must offer what infra/local offers: every catalogue service under its
 * catalogue name, published on 127.0.0.1 at `${portEnv:-port}`, labelled with the
 * variable apps read, with LOCAL_DEFAULTS credentials; and Prometheus scraping every app.
 * A cluster service is one compose service per node, under the compose profile of its
 * catalogue profile, each node on its fixed catalogue port (see the compose file for why).
 * The YAML is read with a line scanner for the subset this file uses (no YAML dependency).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  APPS,
  LOCAL_DEFAULTS,
  SERVICE_NAMES,
  SERVICES,
  type AppName,
  type ServiceName,
} from '@sluice/config';

const composeDir = new URL('../../compose/', import.meta.url);

interface ComposeService {
  readonly lists: Map<string, string[]>;
  readonly maps: Map<string, Map<string, string>>;
  readonly scalars: Map<string, string>;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^(['"]).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** Services of a compose file written in block style with two-space indents. */
function composeServices(text: string): Map<string, ComposeService> {
  const services = new Map<string, ComposeService>();
  let inServices = false;
  let service: ComposeService | undefined;
  let property: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inServices = line === 'services:';
      service = undefined;
      continue;
    }
    if (!inServices) continue;
    if (indent === 2) {
      const name = /^ {2}([\w-]+):$/.exec(line)?.[1];
      assert.ok(name !== undefined, `unexpected line in services: ${line}`);
      service = { lists: new Map(), maps: new Map(), scalars: new Map() };
      services.set(name, service);
      continue;
    }
    if (service === undefined) continue;
    if (indent === 4) {
      const match = /^ {4}([\w-]+):(.*)$/.exec(line);
      assert.ok(match?.[1] !== undefined, `unexpected line in a service: ${line}`);
      property = match[1];
      if (match[2]?.trim()) service.scalars.set(property, unquote(match[2]));
      continue;
    }
    if (property === undefined || indent < 6) continue;
    const item = /^ {6}- (.*)$/.exec(line)?.[1];
    if (item !== undefined) {
      service.lists.set(property, [...(service.lists.get(property) ?? []), unquote(item)]);
      continue;
    }
    const entry = /^ {6}([\w.-]+): (.*)$/.exec(line);
    if (entry?.[1] !== undefined && entry[2] !== undefined) {
      const map = service.maps.get(property) ?? new Map<string, string>();
      map.set(entry[1], unquote(entry[2]));
      service.maps.set(property, map);
    }
  }
  return services;
}

const services = composeServices(readFileSync(new URL('docker-compose.yml', composeDir), 'utf8'));

describe('infra/compose/docker-compose.yml follows the service catalogue', () => {
  for (const name of SERVICE_NAMES) {
    const spec = SERVICES[name];
    if ((spec.nodes ?? 1) > 1) {
      clusterTests(name);
      continue;
    }
    test(`${name} is published on 127.0.0.1 at \${${spec.portEnv}:-${spec.port}}`, () => {
      const service = services.get(name);
      assert.ok(service !== undefined, `no service named ${name}`);
      const ports = service.lists.get('ports') ?? [];
      const published = ports.map((port) => /^127\.0\.0\.1:\$\{(\w+):-(\d+)\}:\d+$/.exec(port));
      assert.ok(
        published.every((match) => match !== null),
        `${name} publishes every port on 127.0.0.1, moved by a variable: ${ports.join(', ')}`,
      );
      const own = published.filter((match) => match?.[1] === spec.portEnv);
      assert.equal(own.length, 1, `${name} should publish its port once, found ${ports.join(', ')}`);
      assert.deepEqual(
        own[0]?.slice(1),
        [spec.portEnv, String(spec.port)],
        `ports of ${name}: ${ports.join(', ')}`,
      );
    });
    test(`${name} is labelled with the variable apps read (${spec.urlEnv})`, () => {
      const labels = services.get(name)?.maps.get('labels');
      assert.equal(labels?.get('dev.sluice.service'), name);
      assert.equal(labels?.get('dev.sluice.url-env'), spec.urlEnv);
    });
  }

  test('Kafka advertises the published port to the host and kafka:9092 to containers', () => {
    const environment = services.get('kafka')?.maps.get('environment');
    assert.equal(
      environment?.get('KAFKA_ADVERTISED_LISTENERS'),
      `PLAINTEXT://127.0.0.1:\${${SERVICES.kafka.portEnv}:-${SERVICES.kafka.port}},INTERNAL://kafka:9092`,
    );
    assert.equal(environment?.get('KAFKA_AUTO_CREATE_TOPICS_ENABLE'), 'false');
  });

  test('the registry keeps its schemas on Kafka (KafkaSQL), never in memory', () => {
    const environment = services.get('apicurio')?.maps.get('environment');
    assert.equal(environment?.get('APICURIO_STORAGE_KIND'), 'kafkasql');
    assert.equal(environment?.get('APICURIO_KAFKASQL_BOOTSTRAP_SERVERS'), 'kafka:9092');
  });

  test('the S3 server and MySQL use the local credentials', () => {
    const s3 = services.get('s3')?.maps.get('environment');
    assert.equal(s3?.get('ROOT_ACCESS_KEY'), LOCAL_DEFAULTS.s3AccessKey);
    assert.equal(s3?.get('ROOT_SECRET_KEY'), LOCAL_DEFAULTS.s3SecretKey);
    assert.equal(s3?.get('VGW_REGION'), LOCAL_DEFAULTS.s3Region);
    const mysql = services.get('mysql')?.maps.get('environment');
    assert.equal(mysql?.get('MYSQL_DATABASE'), LOCAL_DEFAULTS.mysqlDatabase);
    assert.equal(mysql?.get('MYSQL_USER'), LOCAL_DEFAULTS.mysqlUser);
    assert.equal(mysql?.get('MYSQL_PASSWORD'), LOCAL_DEFAULTS.mysqlPassword);
  });

  test('PostgreSQL gets the local role, which may create databases, and the database it owns', () => {
    const volumes = services.get('postgres')?.lists.get('volumes') ?? [];
    assert.ok(volumes.includes('./postgres-init:/docker-entrypoint-initdb.d:ro'), volumes.join(', '));
    const init = readFileSync(new URL('postgres-init/01-create-sluice.sql', composeDir), 'utf8');
    const { postgresUser: user, postgresPassword: password, postgresDatabase: database } = LOCAL_DEFAULTS;
    assert.match(init, new RegExp(`^CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${password}';$`, 'm'));
    assert.match(init, new RegExp(`^CREATE DATABASE ${database} OWNER ${user};$`, 'm'));
  });

  test('Redis never evicts', () => {
    const command = services.get('redis')?.lists.get('command') ?? [];
    assert.equal(command[command.indexOf('--maxmemory-policy') + 1], 'noeviction');
  });

  test('the Redis Cluster nodes never evict and fail over after 3 s', () => {
    const conf = readFileSync(new URL('redis-cluster.conf', composeDir), 'utf8');
    assert.match(conf, /^maxmemory-policy noeviction$/m);
    assert.match(conf, /^cluster-node-timeout 3000$/m);
    for (const node of nodesOf('redis-cluster')) {
      const command = node.service.scalars.get('command') ?? '';
      assert.ok(
        command.includes('/usr/local/etc/redis/redis.conf'),
        `${node.name} runs without the shared conf`,
      );
    }
  });

  test('Prometheus scrapes every app on its HTTP port, labelled with its name', () => {
    const config = readFileSync(new URL('prometheus.yml', composeDir), 'utf8');
    const targets = [
      ...config.matchAll(/targets: \['host\.docker\.internal:(\d+)'\]\s*\n\s*labels: \{ app: '([\w-]+)' \}/g),
    ];
    const scraped: Record<string, number> = {};
    for (const match of targets) scraped[match[2] ?? ''] = Number(match[1]);
    const expected = Object.fromEntries(
      (Object.keys(APPS) as AppName[]).map((app) => [app, APPS[app].httpPort]),
    );
    assert.deepEqual(scraped, expected);
  });
});

/** The compose services that are nodes of a catalogue service: labelled with its name, in file order. */
function nodesOf(name: ServiceName): { name: string; service: ComposeService }[] {
  return [...services]
    .filter(([, service]) => service.maps.get('labels')?.get('dev.sluice.service') === name)
    .map(([node, service]) => ({ name: node, service }));
}

function clusterTests(name: ServiceName): void {
  const spec = SERVICES[name];
  const count = spec.nodes ?? 1;
  const ports = Array.from({ length: count }, (_, i) => spec.port + i);
  test(`${name} is ${count} nodes on 127.0.0.1 at ${ports.join(', ')}, under the ${spec.profile} profile`, () => {
    const nodes = nodesOf(name);
    assert.equal(nodes[0]?.name, name, `the first node of ${name} should carry the catalogue name`);
    assert.deepEqual(
      nodes.map((node) => node.service.lists.get('ports') ?? []),
      ports.map((port) => [`127.0.0.1:${port}:${port}`]),
    );
    // Every compose service of the cluster (nodes, the job that creates it) is in the profile.
    const members = [...services].filter(([service]) => service === name || service.startsWith(`${name}-`));
    for (const [member, service] of members) {
      assert.equal(
        service.scalars.get('profiles'),
        `[${spec.profile}]`,
        `${member} is not in the ${spec.profile} profile`,
      );
    }
  });
  test(`${name} is labelled with the variable apps read (${spec.urlEnv})`, () => {
    const labels = services.get(name)?.maps.get('labels');
    assert.equal(labels?.get('dev.sluice.service'), name);
    assert.equal(labels?.get('dev.sluice.url-env'), spec.urlEnv);
  });
}
