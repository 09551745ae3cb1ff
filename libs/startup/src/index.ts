export { runComponents } from './lifecycle.ts';
export type { Component, RunOptions, Running } from './lifecycle.ts';
export { countBuffersInHeapLimits } from './heap.ts';
export { Startup } from './startup.ts';
export { printableUrl, redisOptions } from './redis-options.ts';
export type { RedisConfig } from './redis-options.ts';
export { mysqlSsl } from './mysql-options.ts';
export type { MysqlSsl, MysqlTlsConfig } from './mysql-options.ts';
