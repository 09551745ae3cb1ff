import { flushTracing } from '@sluice/telemetry';
import type { Logger } from 'pino';

/** Anything with a start and a close; `close` must wait for in-flight work. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Options for {@link runComponents}. */
export interface RunOptions {
  readonly logger: Logger;
  /** Signals that trigger a graceful stop. @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Past this, the process exits even if some close() has not finished. @default 30000 */
  readonly closeTimeoutMs?: number;
  /** Called instead of process.exit, for tests. */
  readonly exit?: (code: number) => void;
}

/** Handle returned by {@link runComponents}. */
export interface Running {
  /** Closes every started component in reverse order; resolves with the exit code. */
  stop(reason: string): Promise<number>;
}

/**
 * Starts components in order, then closes them in reverse order on the first signal
 * (or `stop()`), so consumers drain before the clients they use go away. A component
 * that fails to start closes the ones already started and exits non-zero. A second
 * signal, or the close timeout, exits at once.
 */
export async function runComponents(components: readonly Component[], options: RunOptions): Promise<Running> {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const started: Component[] = [];
  let stopping: Promise<number> | undefined;

  const stop = (reason: string): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: options.closeTimeoutMs ?? 30_000 }, 'close timed out; exiting');
        exit(1);
      }, options.closeTimeoutMs ?? 30_000);
      timer.unref();
      let code = 0;
      for (const c of [...started].reverse()) {
        try {
          await c.close();
          logger.info({ component: c.name }, 'closed');
        } catch (err) {
          code = 1;
          logger.error({ err, component: c.name }, 'close failed');
        }
      }
      // The spans of the last seconds go out before the process does.
      await flushTracing();
      clearTimeout(timer);
      for (const s of signals) process.off(s, onSignal);
      return code;
    })();
    return stopping;
  };

  function onSignal(signal: NodeJS.Signals): void {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      exit(130);
      return;
    }
    void stop(signal).then(exit);
  }
  for (const s of signals) process.on(s, onSignal);

  for (const c of components) {
    try {
      await c.start();
      started.push(c);
      logger.info({ component: c.name }, 'started');
    } catch (err) {
      logger.fatal({ err, component: c.name }, 'start failed');
      await stop(`start of ${c.name} failed`);
      exit(1);
      return { stop };
    }
  }
  return { stop };
}
