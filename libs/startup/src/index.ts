export { runComponents } from './lifecycle.ts';
export type { Component, RunOptions, Running } from './lifecycle.ts';
export { countBuffersInHeapLimits } from './heap.ts';
export { Startup } from './startup.ts';
