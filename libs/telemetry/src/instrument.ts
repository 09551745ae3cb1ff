/**
 * The maintained instrumentations of the clients every app uses: grpc-js, ioredis, mysql2 and
 * the AWS SDK. They are enabled before anything loads those clients (the SDK's own exporters
 * included), or the clients would be loaded unpatched; they record through the global tracer
 * provider, whichever is set later.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';

export function instrumentClients(): void {
  registerInstrumentations({
    instrumentations: [
      // Probes and reflection are not uploads: no trace for each health check.
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch', 'ServerReflectionInfo'] }),
      // Redis commands only inside a span: a poll outside any work would make a trace each.
      new IORedisInstrumentation({ requireParentSpan: true }),
      new MySQL2Instrumentation(),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    ],
  });
}
