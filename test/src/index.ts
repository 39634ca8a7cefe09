export { freePort } from './free-port.js';
export { startRedis, sharedRedis, type PrivateRedis, type SharedRedis, type StartRedisOptions } from './redis.js';
export * from './dkp.js';
