/**
 * What ingest-api tells the outside about itself over gRPC: the standard health service
 * (`grpc.health.v1.Health`), SERVING only while `/readyz` would answer ready and the app is not
 * draining, and server reflection, so `grpcurl list` and `describe` work without .proto files.
 */
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { checkReadiness, type ReadinessCheck } from '@sluice/http';
import { PROTO_FILES, protoPath } from '@sluice/proto';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/** The fully qualified name of the service ingest-api serves. */
export const INTAKE_SERVICE = 'sluice.intake.v1.IntakeService';

/** Serves reflection for IntakeService, described from the same .proto files clients generate from. */
export function addReflection(server: Server): void {
  const definition = loadSync(protoPath(PROTO_FILES.service), { includeDirs: [protoPath()] });
  new ReflectionService(definition).addToServer(server);
}

/** Options of {@link ServingState}. */
export interface ServingOptions {
  /** The checks `/readyz` runs; health is SERVING only while all pass. */
  readonly readiness: readonly ReadinessCheck[];
  /** How often health follows readiness. @default 1000 */
  readonly intervalMs?: number;
}

/**
 * Health that follows readiness, and the drain that ends it. Once `drain()` is called, health
 * says NOT_SERVING, `/readyz` answers 503 (through {@link ServingState.readinessCheck}), and
 * `drainSignal` fires, so long calls (WatchUpload) end with a status telling clients to
 * reconnect elsewhere.
 */
export class ServingState {
  readonly #health = new HealthImplementation({ '': 'NOT_SERVING', [INTAKE_SERVICE]: 'NOT_SERVING' });
  readonly #drain = new AbortController();
  readonly #o: ServingOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ServingOptions) {
    this.#o = options;
  }

  /** A readiness check that fails once draining starts. */
  readonly readinessCheck: ReadinessCheck = {
    name: 'serving',
    probe: () =>
      this.draining
        ? Promise.reject(new Error('shutting down: finishing the calls in flight'))
        : Promise.resolve(),
  };

  get draining(): boolean {
    return this.#drain.signal.aborted;
  }

  /** Fires when draining starts. */
  get drainSignal(): AbortSignal {
    return this.#drain.signal;
  }

  addToServer(server: Server): void {
    this.#health.addToServer(server);
  }

  /** Follows readiness until `drain()` or `close()`. */
  async start(): Promise<void> {
    await this.#update();
    this.#timer = setInterval(() => void this.#update(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops taking work: NOT_SERVING, `/readyz` 503, and `drainSignal` fires. */
  drain(): void {
    this.close();
    this.#set('NOT_SERVING');
    this.#drain.abort();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #update(): Promise<void> {
    const { ready } = await checkReadiness(this.#o.readiness);
    if (!this.draining) this.#set(ready ? 'SERVING' : 'NOT_SERVING');
  }

  #set(status: ServingStatus): void {
    this.#health.setStatus('', status);
    this.#health.setStatus(INTAKE_SERVICE, status);
  }
}
