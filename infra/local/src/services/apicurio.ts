/**
 * Apicurio Registry 3.x (Quarkus app) with in-memory H2 storage: schemas live as long as
 * the process, and Sluice registers its schemas at start-up, so a restart is harmless.
 * Deletion through the REST API is on so tests can clean up, and telemetry export stays off.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findJava } from '../java.ts';
import type { ServiceDriver } from '../service-driver.ts';
import { JAVA_MAJOR, VERSIONS } from '../versions.ts';

/** JVM heap limit; `SLUICE_APICURIO_HEAP` changes it. */
const DEFAULT_HEAP = '512m';

export const apicurio: ServiceDriver = {
  name: 'apicurio',
  aptPackages: [],
  startTimeoutMs: 120_000,
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
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'h2',
      'apicurio.datasource.url': 'jdbc:h2:mem:registry',
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
