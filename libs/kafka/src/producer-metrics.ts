/**
 * The producer's Prometheus metrics, registered once per registry and shared by every
 * EventProducer on it; each producer binds the children of its topic once, so the per-event
 * cost is an increment, not a label lookup.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The series of one topic. */
export interface TopicProducerMetrics {
  readonly produced: { inc(value?: number): void };
  readonly failed: { inc(value?: number): void };
  readonly seconds: { observe(value: number): void };
  /** Stops reporting this producer's pending events (after close). */
  release(): void;
}

interface SharedMetrics {
  readonly produced: Counter<'topic'>;
  readonly failed: Counter<'topic'>;
  readonly seconds: Histogram<'topic'>;
  /** Read at scrape time from every live producer on the registry. */
  readonly sources: Map<object, { topic: string; pending: () => number }>;
}

const byRegistry = new WeakMap<Registry, SharedMetrics>();

function shared(registry: Registry): SharedMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics !== undefined) return metrics;
  const sources = new Map<object, { topic: string; pending: () => number }>();
  metrics = {
    produced: new Counter({
      name: 'sluice_events_produced_total',
      help: 'Events Kafka acknowledged (acks=all), by topic.',
      labelNames: ['topic'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'sluice_events_produce_failed_total',
      help: 'Events whose produce failed and was reported to the caller, by topic.',
      labelNames: ['topic'],
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'sluice_event_produce_seconds',
      help: 'Time from produce() to the acknowledgement of the event (queueing included), by topic.',
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    sources,
  };
  new Gauge({
    name: 'sluice_events_pending',
    help: 'Events queued, in flight to Kafka or waiting for room, by topic.',
    labelNames: ['topic'],
    registers: [registry],
    collect() {
      const totals = new Map<string, number>();
      for (const { topic, pending } of sources.values())
        totals.set(topic, (totals.get(topic) ?? 0) + pending());
      this.reset();
      for (const [topic, value] of totals) this.set({ topic }, value);
    },
  });
  byRegistry.set(registry, metrics);
  return metrics;
}

/** Binds the metrics of `topic` on `registry` for one producer whose queue size `pending` reads. */
export function producerMetrics(
  registry: Registry,
  topic: string,
  pending: () => number,
): TopicProducerMetrics {
  const metrics = shared(registry);
  const key = {};
  metrics.sources.set(key, { topic, pending });
  return {
    produced: metrics.produced.labels(topic),
    failed: metrics.failed.labels(topic),
    seconds: metrics.seconds.labels(topic),
    release: () => metrics.sources.delete(key),
  };
}
