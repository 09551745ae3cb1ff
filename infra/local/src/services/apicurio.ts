/**
 * Apicurio Registry 3.x (Quarkus app) with KafkaSQL storage on the local Kafka: every change
 * to the registry is a record on the `kafkasql-journal` topic, which the registry creates with
 * unlimited retention and replays into its in-memory database at start-up.
 *
 * The schemas must outlive the registry process, because every event on the topics names its
 * schema by contentId and the topics are kept for ever: a registry that forgets (in-memory
 * storage) turns every earlier event into one nobody can decode. KafkaSQL keeps the schemas
 * beside the events they describe, on the same broker and disks: they survive `infra down`/`up`
 * and a reboot together, `infra reset` clears them together, and no second database has to be
 * run, backed up and kept in step with the topics (compose and k8s do the same).
 *
 * Deletion through the REST API is on so tests can clean up, and telemetry export stays off.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJava } from '../java.ts';
import { serviceEndpoint } from '@sluice/testing';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import { JAVA_MAJOR, VERSIONS } from '../versions.ts';

/**
 * Where the registry keeps its schemas. `SLUICE_APICURIO_STORAGE=forgetful` starts it on
 * in-memory storage, which loses every schema when it stops: only `npm run test:replay` uses
 * it, to show that apps refuse a registry reset under stored events. Anything else is refused.
 */
function storage(ctx: ServiceContext): Record<string, string> {
  const kind = ctx.env.SLUICE_APICURIO_STORAGE || 'kafkasql';
  if (kind === 'forgetful') {
    return {
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'h2',
      'apicurio.datasource.url': 'jdbc:h2:mem:registry',
    };
  }
  if (kind !== 'kafkasql') {
    throw new Error(
      `SLUICE_APICURIO_STORAGE=${kind} is not a storage the local registry runs on: leave it unset (kafkasql)`,
    );
  }
  const kafka = serviceEndpoint('kafka', ctx.env);
  return {
    'apicurio.storage.kind': 'kafkasql',
    'apicurio.kafkasql.bootstrap.servers': `${kafka.host}:${kafka.port}`,
  };
}

/** JVM heap limit; `SLUICE_APICURIO_HEAP` changes it. */
const DEFAULT_HEAP = '512m';

export const apicurio: ServiceDriver = {
  name: 'apicurio',
  aptPackages: [],
  startTimeoutMs: 120_000,
  needs: ['kafka'],
  async prepare(ctx) {
    const java = findJava(JAVA_MAJOR.apicurio, `Apicurio Registry ${VERSIONS.apicurio}`, ctx.env);
    const tool = await ctx.installers.apicurio();
    const tmp = join(ctx.paths.dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const properties: Record<string, string> = {
      'quarkus.http.host': ctx.host,
      'quarkus.http.port': String(ctx.port),
      // The management interface (health, metrics) is fixed on at build time and would
      // listen on 0.0.0.0:9000: keep it on loopback, on a free port the OS picks.
      'quarkus.management.host': ctx.host,
      'quarkus.management.port': '0',
      'quarkus.otel.sdk.disabled': 'true',
      ...storage(ctx),
      'apicurio.rest.deletion.group.enabled': 'true',
      'apicurio.rest.deletion.artifact.enabled': 'true',
      'apicurio.rest.deletion.artifact-version.enabled': 'true',
      // Snapshots and imports default to /tmp, shared with everyone else on the machine.
      'apicurio.storage.snapshot.location': tmp,
      'apicurio.import.work-dir': tmp,
      'java.io.tmpdir': tmp,
    };
    const heap = ctx.env.SLUICE_APICURIO_HEAP || DEFAULT_HEAP;
    return {
      command: java.java,
      args: [
        '-Xms128m',
        `-Xmx${heap}`,
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
        '-jar',
        join(tool, 'app', 'quarkus-run.jar'),
      ],
    };
  },
};
