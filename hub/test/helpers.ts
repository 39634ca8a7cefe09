import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { ReportKind} from '@netfleet/shared';
import {
  PROTOCOL_VERSION, REPORT_QUEUE, SyncReason, createLogger, reasonStatus, reportJobId, signReport,
  type Credentials, type DriftItem, type Report, type ReportBody, type RolloutPolicy, type UnsignedReport,
} from '@netfleet/shared';
import { deleteKeysWithPrefix } from '@netfleet/test';
import { Hub, type HubOptions } from '../src/index.js';
import { reportJob } from '../src/ingest/report-job.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const READ_TOKEN = 'read-token-for-tests-0123456789';
export const HUB_SECRET = 'hub-secret-for-tests-0123456789abcdef';

/** A unique hash-tagged prefix on a Redis, and a cleanup that deletes its keys. */
export function testKeySpace(label: string, url = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379') {
  const prefix = `{nf-${label}-${randomBytes(5).toString('hex')}}`;
  return {
    url,
    prefix,
    cleanup: () => deleteKeysWithPrefix(url, prefix),
  };
}

export const quietLogger = () => createLogger({ name: 'hub-test', level: process.env.NETFLEET_TEST_LOG ?? 'silent' });

export function testHub(space: { url: string; prefix: string }, options: Partial<HubOptions> = {}): Hub {
  return new Hub({
    redisUrl: space.url, prefix: space.prefix, secret: HUB_SECRET, adminTokens: [ADMIN_TOKEN], readTokens: [READ_TOKEN],
    logger: quietLogger(), ...options,
  });
}

/** The one polling helper, here for the hub's tests. */
export { eventually } from '@netfleet/test';

export async function registerCluster(hub: Hub, cluster: string, region = 'eu', labels: Record<string, string> = {}): Promise<Credentials> {
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
  return hub.registry.register(bootstrap.token, { cluster, region, labels });
}

export function report<K extends ReportKind>(cluster: string, seq: number, kind: K, body: ReportBody<K>): UnsignedReport {
  return { protocolVersion: PROTOCOL_VERSION, cluster, seq, time: new Date().toISOString(), kind, body } as UnsignedReport;
}

export const heartbeatBody = (revision = 'rev1', driftCount = 0): ReportBody<ReportKind.Heartbeat> => ({
  revision, objects: 5, driftCount, agentVersion: '0.1.0', readiness: { ready: 5, notReady: 0, waiting: 0 },
});

/** A sync of `revision` ending in `reason`, with the status the protocol gives that reason. */
export const syncBody = (revision: string, reason = SyncReason.Succeeded): ReportBody<ReportKind.Sync> => ({
  revision, status: reasonStatus[reason], reason,
  changes: [], ...(reason === SyncReason.Succeeded ? {} : { error: 'apply refused' }),
});

export const driftItem = (name: string): DriftItem => ({
  id: `deckhouse.io_IngressNginxController__${name}`,
  subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name },
  type: 'changed', policy: 'alert', fields: [{ path: '/spec/minReplicas', desired: 2, live: 5 }],
});

/**
 * Queues reports straight onto a report queue (`REPORT_QUEUE` unless told): `send` one per
 * job as its JSON text (the form hub versions before batched jobs queued), `sendBatch` as the
 * API queues a request.
 */
export class TestSender {
  readonly queue: Queue;
  private readonly redis: Redis;
  constructor(space: { url: string; prefix: string }, queue = REPORT_QUEUE) {
    this.redis = new Redis(space.url, { maxRetriesPerRequest: null });
    // Tests take Redis away under it; the queue waits for it to come back.
    this.redis.on('error', () => undefined);
    this.queue = new Queue(queue, { connection: this.redis, prefix: space.prefix });
    // The queue passes its connection's errors on; without a listener BullMQ prints each one.
    this.queue.on('error', () => undefined);
  }

  async send(credentials: Credentials, unsigned: UnsignedReport, options: { jobId?: string; key?: string } = {}): Promise<Report> {
    const signed = signReport(unsigned, options.key ?? credentials.reportKey) as Report;
    await this.queue.add(signed.kind, JSON.stringify(signed), {
      jobId: options.jobId ?? `${reportJobId(signed.cluster, signed.seq)}`, removeOnComplete: true, removeOnFail: true,
    });
    return signed;
  }

  /** Queues several reports the way the hub API queues one request's: a job holding their texts, named with the sender. */
  async sendBatch(credentials: Credentials, unsigned: readonly UnsignedReport[]): Promise<Report[]> {
    const signed = unsigned.map((one) => signReport(one, credentials.reportKey) as Report);
    const job = reportJob([{ sender: credentials.cluster, reports: signed.map((report) => JSON.stringify(report)) }]);
    await this.queue.add(job.name, job.data, job.opts);
    return signed;
  }

  /**
   * Queues several reports the way hub versions before group commit queued one request's: a
   * job holding the list of their texts, named with the sender and the seqs.
   */
  async sendRequest(credentials: Credentials, unsigned: readonly UnsignedReport[]): Promise<Report[]> {
    const signed = unsigned.map((one) => signReport(one, credentials.reportKey) as Report);
    const seqs = signed.map((one) => one.seq);
    const digest = createHash('sha1').update(seqs.join(',')).digest('hex').slice(0, 16);
    await this.queue.add('reports', signed.map((one) => JSON.stringify(one)), {
      jobId: `${credentials.cluster}.${seqs[0]}-${seqs.at(-1)}-${digest}`,
      attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: { count: 1000 },
    });
    return signed;
  }

  /** Queues `data` as the job payload: a string as it is, anything else as its JSON text. */
  async sendRaw(data: unknown, jobId: string): Promise<void> {
    await this.queue.add('raw', typeof data === 'string' ? data : JSON.stringify(data), { jobId, removeOnComplete: true, removeOnFail: true });
  }

  /**
   * Queues a job whose stored payload is `payload` byte for byte, as anything with write
   * access to Redis could: the job is added delayed, its data field overwritten, then promoted.
   */
  async sendPayload(payload: string, jobId: string): Promise<void> {
    const job = await this.queue.add('raw', '', { jobId, delay: 3_600_000 });
    await this.redis.hset(`${this.queue.qualifiedName}:${jobId}`, 'data', payload);
    await job.promote();
  }

  /** Where a job is and how often it was started and taken over as stalled, read without decoding its payload. */
  async jobStatus(jobId: string): Promise<{ state: string; attemptsStarted: number; stalled: number }> {
    const [started, stalled] = await this.redis.hmget(`${this.queue.qualifiedName}:${jobId}`, 'ats', 'stc');
    return { state: await this.queue.getJobState(jobId), attemptsStarted: Number(started ?? 0), stalled: Number(stalled ?? 0) };
  }

  async removeJob(jobId: string): Promise<void> {
    await this.queue.remove(jobId);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

/** Headers of a push webhook as GitHub signs it, with a fresh delivery id unless one is given. */
export function signedWebhookHeaders(secret: string, body: string, delivery = randomBytes(8).toString('hex')): Record<string, string> {
  return {
    'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery,
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}

const EXAMPLE_FLEET = new URL('../../examples/fleet/', import.meta.url).pathname;

/** The files of the example fleet repository (`examples/fleet`), by path, to commit into a test repository. */
export async function exampleFleetFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(EXAMPLE_FLEET, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(EXAMPLE_FLEET, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

/** One wave over every cluster, baking 10 min: a rollout that stays in progress while a test looks at it. */
export const ALL_AT_ONCE_POLICY: RolloutPolicy = {
  name: 'all-at-once',
  waves: [{ name: 'all', selector: { all: true }, maxParallel: undefined, bakeTimeSeconds: 600, deadlineSeconds: undefined }],
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'pause', unselectedClusters: 'excluded', blackouts: undefined,
  source: { file: 'rollout/all.yaml', document: 'RolloutPolicy/all-at-once' },
};
