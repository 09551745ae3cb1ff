import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** ingest-api's own metrics (the stream and producer libs add theirs). */
export interface IngestMetrics {
  readonly chunks: Counter<'outcome'>;
  readonly bytes: Counter;
  readonly refused: Counter<'code'>;
  /** gRPC server metrics under the grpc-ecosystem conventions (go-grpc-prometheus names and labels). */
  readonly grpcHandled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code' | 'sluice_code'>;
  readonly grpcHandlingSeconds: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly ackStageSeconds: Histogram<'stage'>;
  readonly redisMemoryRatio: Gauge;
}

export function ingestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    chunks: new Counter({
      name: 'sluice_ingest_chunks_total',
      help: 'Chunks acknowledged, by outcome: staged, replaced (force), duplicate',
      labelNames: ['outcome'] as const,
      registers,
    }),
    bytes: new Counter({
      name: 'sluice_ingest_staged_bytes_total',
      help: 'Bytes of chunks staged in Redis',
      registers,
    }),
    refused: new Counter({
      name: 'sluice_ingest_refused_total',
      help: 'Chunks refused before staging, by error code (back-pressure, checksum, size)',
      labelNames: ['code'] as const,
      registers,
    }),
    grpcHandled: new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by gRPC status code and Sluice error code (OK when none)',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code', 'sluice_code'] as const,
      registers,
    }),
    grpcHandlingSeconds: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'RPC time on the server, from the last byte received to the answer (unary and client streams) or the end of the stream',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    ackStageSeconds: new Histogram({
      name: 'sluice_ingest_ack_stage_seconds',
      help:
        'Where a staged chunk waits once its last byte arrived, by stage: hashed (checksums done), ' +
        'staged (bytes in Redis), committed (record written), announced (event durable in Kafka)',
      labelNames: ['stage'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    redisMemoryRatio: new Gauge({
      name: 'sluice_ingest_redis_memory_ratio',
      help: 'Redis used memory over maxmemory, as last sampled for back-pressure',
      registers,
    }),
  };
}
