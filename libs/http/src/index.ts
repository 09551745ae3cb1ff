export { createMetricsRegistry, httpComponent } from './component.ts';
export type { ListenOptions } from './component.ts';
export { buildHttpServer, checkReadiness } from './server.ts';
export type { HttpServerOptions, Readiness, ReadinessCheck } from './server.ts';
