/**
 * One hub replica in its own process, so the benchmark measures its CPU alone:
 * `hub-replica.ts REDIS_URL PREFIX SECRET ADMIN_TOKEN CLUSTERS` prints `listening <url>` and
 * runs until stdin closes. Its fleet revision declares the mesh groups of the simulated
 * fleet of CLUSTERS clusters (fleet-topology.ts), so link reports are judged against them.
 * BENCH_HUB_HEAP_PROF=<file>: it samples what it allocates, garbage included, from listening
 * to exit, and writes the sampling heap profile there (where the young generation fills from);
 * with BENCH_HUB_HEAP_PROF_PROMOTED=1, only objects promoted to the old generation, garbage or not.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
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
const heapProfile = process.env.BENCH_HUB_HEAP_PROF;
const inspector = new Session();
if (heapProfile) {
  inspector.connect();
  // BENCH_HUB_HEAP_PROF_PROMOTED=1: only what outlived the young generation (what its scavenges copy and promote).
  const promotedOnly = process.env.BENCH_HUB_HEAP_PROF_PROMOTED === '1';
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !promotedOnly });
}
console.log(`listening ${address}`);
process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    if (heapProfile) await writeFile(heapProfile, JSON.stringify((await inspector.post('HeapProfiler.stopSampling')).profile));
    await hub.close();
    process.exit(0);
  })();
});
