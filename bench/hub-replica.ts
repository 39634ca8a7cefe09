/**
 * One hub replica in its own process, so the benchmark measures its CPU alone:
 * `hub-replica.ts REDIS_URL PREFIX SECRET ADMIN_TOKEN` prints `listening <url>` and runs
 * until stdin closes.
 */
import { createLogger } from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';

const [redisUrl, prefix, secret, adminToken] = process.argv.slice(2);
if (!redisUrl || !prefix || !secret || !adminToken) throw new Error('usage: hub-replica.ts REDIS_URL PREFIX SECRET ADMIN_TOKEN');

const hub = new Hub({
  redisUrl, prefix, secret, adminTokens: [adminToken], heartbeatIntervalMs: 30_000,
  logger: createLogger({ name: 'bench-hub', level: 'warn' }),
});
const api = await hub.api();
await hub.start();
const address = await api.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.stdin.resume();
process.stdin.on('end', () => {
  void hub.close().then(() => process.exit(0));
});
