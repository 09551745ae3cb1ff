export {
  connectRedis,
  isCluster,
  isTlsRedisUrl,
  masterOf,
  masters,
  nodeName,
  parseRedisUrl,
  printableRedisUrl,
} from './redis-client.ts';
export type { RedisClient, RedisTarget } from './redis-client.ts';
