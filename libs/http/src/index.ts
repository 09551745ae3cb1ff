export { createMetricsRegistry, httpComponent } from './component.ts';
export type { ListenOptions } from './component.ts';
export { buildHttpServer } from './server.ts';
export type { HttpServerOptions, ReadinessCheck } from './server.ts';
