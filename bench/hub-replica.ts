/**
 * One hub replica in its own process, so the benchmark measures its CPU alone:
 * `hub-replica.ts REDIS_URL PREFIX SECRET ADMIN_TOKEN CLUSTERS` prints `listening <url>` and
 * runs until stdin closes. Its fleet revision declares the mesh groups of the simulated
 * fleet of CLUSTERS clusters (fleet-topology.ts), so link reports are judged against them.
 */
import { createLogger } from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { fleetTopology } from './fleet-topology.js';

const [redisUrl, prefix, secret, adminToken, clusters] = process.argv.slice(2);
if (!redisUrl || !prefix || !secret || !adminToken || !clusters) throw new Error('usage: hub-replica.ts REDIS_URL PREFIX SECRET ADMIN_TOKEN CLUSTERS');

const hub = new Hub({
  redisUrl, prefix, secret, adminTokens: [adminToken], heartbeatIntervalMs: 30_000,
  logger: createLogger({ name: 'bench-hub', level: 'warn' }),
});
const api = await hub.api();
hub.linkHealth.setFleet(fleetTopology(Number(clusters)), 'bench');
await hub.start();
const address = await api.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening ${address}`);
process.stdin.resume();
process.stdin.on('end', () => {
  void hub.close().then(() => process.exit(0));
});
