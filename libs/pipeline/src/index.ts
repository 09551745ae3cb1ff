export { EventBackbone } from './backbone.ts';
export type { EventBackboneOptions, ProcessorOptions } from './backbone.ts';
