/**
 * The fleet rollout bench's simulated agents, in their own process so that the bench
 * measures the hub's CPU alone: `rollout-agents.ts REDIS_URL PREFIX CREDENTIALS_FILE`.
 * Each cluster says hello (a sync of '' and a heartbeat), then every assignment change the
 * hub publishes is read back and applied at once: a sync of the assigned revision and a
 * heartbeat with everything ready, put on the report queue as the API would. Prints
 * `ready` once the hellos are queued, and on stdin's end its CPU time since then as `cpu <ms>`.
 */
import { readFile } from 'node:fs/promises';
import { Queue } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import { REPORT_QUEUE, type Credentials } from '../shared/src/index.js';
import { appliedReportJobs } from './applied-reports.js';
import { HubKeys } from '../hub/src/redis/keys.js';
import type { StoredAssignment } from '../hub/src/rollout/store.js';

const [redisUrl, prefix, credentialsFile] = process.argv.slice(2);
if (!redisUrl || !prefix || !credentialsFile) throw new Error('usage: rollout-agents.ts REDIS_URL PREFIX CREDENTIALS_FILE');

const keys = new HubKeys(prefix);
const credentials = new Map((JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials[]).map((created) => [created.cluster, created]));
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(REPORT_QUEUE, { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix });
const seqs = new Map<string, number>();
/** The assignment tag each cluster applied last, so a repeated notification is not applied twice. */
const appliedTags = new Map<string, string>();

/** The jobs of a cluster's sync and heartbeat for `revision`, with its next seqs. */
function appliedJobs(cluster: string, revision: string) {
  const seq = (seqs.get(cluster) ?? 0) + 1;
  seqs.set(cluster, seq + 1);
  return appliedReportJobs(credentials.get(cluster)!, seq, revision);
}

async function addAll(jobs: ReturnType<typeof appliedJobs>): Promise<void> {
  for (let start = 0; start < jobs.length; start += 1000) await queue.addBulk(jobs.slice(start, start + 1000));
}

// Notifications gathered and applied in batches: one read of the changed assignments, one queue write.
let changed = new Set<string>();
let applying = Promise.resolve();
async function applyChanged(): Promise<void> {
  const names = [...changed].filter((name) => credentials.has(name));
  changed = new Set();
  if (names.length === 0) return;
  const stored = await redis.hmget(keys.assignments(), ...names);
  const jobs = names.flatMap((name, index) => {
    const json = stored[index];
    if (!json) return [];
    const assignment = JSON.parse(json) as StoredAssignment;
    const tag = `${assignment.rolloutId}/${assignment.attempt}/${assignment.revision}`;
    if (appliedTags.get(name) === tag) return [];
    appliedTags.set(name, tag);
    return appliedJobs(name, assignment.revision);
  });
  await addAll(jobs);
}
subscriber.on('message', (_channel: string, cluster: string) => changed.add(cluster));
await subscriber.subscribe(keys.assignmentChannel());
const timer = setInterval(() => {
  applying = applying.then(applyChanged);
}, 20);

await addAll([...credentials.keys()].flatMap((cluster) => appliedJobs(cluster, '')));
const cpuAtReady = process.cpuUsage();
console.log('ready');
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  void applying.then(async () => {
    const cpu = process.cpuUsage(cpuAtReady);
    console.log(`cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)}`);
    await queue.close();
    redis.disconnect();
    subscriber.disconnect();
    process.exit(0);
  });
});
