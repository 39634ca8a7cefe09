/**
 * The agent's side of rollouts against a real hub (real Redis, the hub API over HTTP) and
 * the real daemon syncing a git repository into a Kubernetes API test server: the assignment
 * long-poll wakes within about a second of a change, the daemon applies the assigned revision
 * instead of the branch head, keeps it while the hub is down, restores it after a restart
 * without the hub, catches up when the hub is back, and never logs the cluster's token.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '../src/redis.js';
import { createLogger, type Credentials } from '@netfleet/shared';
import type { KubeApiServer } from '../src/kube/server.js';
import { Hub } from '../../hub/src/index.js';
import { createRollout, reduce, type Rollout } from '../../hub/src/rollout/machine.js';
import { RolloutStore } from '../../hub/src/rollout/store.js';
import { AssignmentClient } from '../../agent/src/assignment/index.js';
import { register } from '../../agent/src/report/index.js';
import type { AgentDaemon } from '../../agent/src/daemon/daemon.js';
import { CLUSTER, daemonFor, quietLogger, startFleetRepo, type FleetRepo } from '../../agent/test/fleet.js';
import { eventually, startCluster } from '../../agent/test/harness.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'e2e-admin-token-assignment-0123456789';

describe('when the agent follows the hub\'s assignment', () => {
  const prefix = `{nf-e2e-assign-${randomBytes(4).toString('hex')}}`;
  let kube: KubeApiServer;
  let fleet: FleetRepo;
  let hub: Hub;
  /** Another hub replica, serving the API once the first one's went down. */
  let replica: Hub | undefined;
  let api: Awaited<ReturnType<Hub['api']>>;
  let hubUrl: string;
  let store: RolloutStore;
  let dir: string;
  let credentials: Credentials;
  let daemon: AgentDaemon;
  let client: AssignmentClient;
  let revisionA: string;
  let revisionC: string;
  let active: Rollout | undefined;
  const logged: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
  const logger = createLogger({ name: 'agent', level: 'debug', destination: logStream });

  /** Ends the rollout in progress and starts one that assigns `revision` to the cluster. */
  async function assign(revision: string, id: string): Promise<void> {
    const at = Date.now();
    if (active) expect(await store.commit(active.version, reduce(active, { type: 'abort', reason: 'next test', at }))).toBeDefined();
    const rollout = createRollout({
      id, revision, previousRevision: null, failurePolicy: 'pause', policy: { name: 'default', blackouts: undefined }, at,
      plan: { waves: [{ name: 'canary', clusters: [CLUSTER], maxParallel: 1, bakeTimeMs: 0, deadlineMs: null, requireReady: true, gates: [] }], excluded: [] },
    });
    await store.create(rollout);
    const started = reduce(rollout, { type: 'tick', at });
    await store.commit(rollout.version, started);
    active = started.rollout;
  }

  const newHub = () => new Hub({
    redisUrl: REDIS_URL, prefix, secret: 'e2e-hub-secret-assignment-0123456789', adminTokens: [ADMIN], logger: quietLogger(), rollouts: false, sweeper: false,
  });

  /** Serves the hub API from `replica`, on `port` (0: any). */
  async function startApi(replica: Hub, port = 0): Promise<void> {
    api = await replica.api();
    hubUrl = await api.listen({ host: '127.0.0.1', port });
  }

  /** The hub API goes away abruptly, dropping the long polls it holds. */
  async function stopApi(): Promise<void> {
    const closing = api.close();
    api.server.closeAllConnections();
    await closing;
  }

  function newClient(): AssignmentClient {
    return new AssignmentClient(daemon, {
      hubUrl, credentialsFile: join(dir, 'credentials.json'), stateFile: join(dir, 'state', 'assignment.json'),
      waitSeconds: 30, retryBaseMs: 50, retryMaxMs: 300, logger,
    });
  }

  beforeAll(async () => {
    [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
    revisionA = await fleet.tree.resolve('HEAD');
    hub = newHub();
    await startApi(hub);
    await hub.start();
    store = new RolloutStore(hub.redis, hub.keys);
    const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
    dir = await mkdtemp(join(tmpdir(), 'netfleet-e2e-assign-'));
    credentials = await register({ hubUrl, bootstrapToken: bootstrap.token, cluster: CLUSTER, region: 'eu', credentialsFile: join(dir, 'credentials.json') });
    // The branch moves on past A: an agent following the head would apply B.
    await fleet.tree.write({ 'notes/b.txt': 'b\n' });
    await fleet.publish('commit B');
    daemon = await daemonFor(kube, await fleet.source(), { interval: 1, retryInterval: 1 });
    client = newClient();
    await client.start();
    await daemon.start();
  });

  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    if (api) await stopApi();
    await replica?.close();
    await hub?.close();
    await kube?.stop();
    await fleet?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('receives a new assignment as soon as the hub has it and applies it instead of the branch head', async () => {
    await eventually(() => expect(daemon.lastResult?.appliedRevision).toBeTruthy());
    const written = Date.now();
    await assign(revisionA, 'r-a');
    await eventually(() => expect(client.current?.revision).toBe(revisionA), { intervalMs: 10 });
    // The long poll waits 30 s: only the hub's wake-up on the change answers before that.
    expect(Date.now() - written).toBeLessThan(30_000);
    await eventually(() => expect(daemon.lastResult?.appliedRevision).toBe(revisionA));
  });

  it('keeps the last assignment while the hub is down, retrying with backoff', async () => {
    await stopApi();
    await fleet.tree.write({ 'notes/c.txt': 'c\n' });
    revisionC = await fleet.publish('commit C');
    const failuresLogged = () => logged.filter((line) => line.includes('cannot get the assignment from the hub')).length;
    await eventually(() => expect(failuresLogged()).toBeGreaterThanOrEqual(8));
    expect(client.current?.revision).toBe(revisionA);
    expect(daemon.lastResult?.appliedRevision).toBe(revisionA);
  });

  it('restores the saved assignment after a restart while the hub is unreachable', async () => {
    await client.close();
    await daemon.stop();
    // A fresh daemon and git cache, as after a pod restart; the state file survived.
    daemon = await daemonFor(kube, await fleet.source(), { interval: 1, retryInterval: 1 });
    client = newClient();
    await client.start();
    expect(client.current?.revision).toBe(revisionA);
    await daemon.start();
    const result = await eventually(() => {
      expect(daemon.lastResult?.errorClass).toBeUndefined();
      expect(daemon.lastResult?.revision).toBeTruthy();
      return daemon.lastResult!;
    });
    expect(result.appliedRevision).toBe(revisionA);
    expect(result.revision).not.toBe(revisionC);
  });

  it('catches up with the hub once it is back', async () => {
    replica = newHub();
    await replica.start();
    await startApi(replica, Number(new URL(hubUrl).port));
    await assign(revisionC, 'r-c');
    await eventually(() => expect(daemon.lastResult?.appliedRevision).toBe(revisionC));
    expect(client.current).toMatchObject({ revision: revisionC, rolloutId: 'r-c', attempt: 1 });
  });

  it('lets a one-off sync learn the hub\'s assignment first, without waiting out a long poll', async () => {
    const assigned: (string | undefined)[] = [];
    const once = new AssignmentClient({ assign: (revision) => assigned.push(revision) }, {
      hubUrl, credentialsFile: join(dir, 'credentials.json'), stateFile: join(dir, 'once', 'assignment.json'), waitSeconds: 30, logger,
    });
    const started = Date.now();
    await once.start();
    try {
      // Answered at once, not after the 30 s long poll.
      expect(await once.settled(30_000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(assigned).toEqual([revisionC]);
    } finally {
      await once.close();
    }
    // No hub at all: the first attempt fails at once, and the sync goes ahead without it.
    const unreachable = new AssignmentClient({ assign: (revision) => assigned.push(revision) }, {
      hubUrl: 'http://127.0.0.1:9', credentialsFile: join(dir, 'credentials.json'), stateFile: join(dir, 'once', 'assignment.json'), logger,
    });
    await unreachable.start();
    try {
      const asked = Date.now();
      expect(await unreachable.settled(60_000)).toBe(false);
      // Given up on at once, not when settled() stopped waiting.
      expect(Date.now() - asked).toBeLessThan(60_000);
    } finally {
      await unreachable.close();
    }
  });

  it('never logs the cluster\'s token', () => {
    expect(logged.join('')).toContain('applying the assigned revision');
    expect(logged.join('')).not.toContain(credentials.apiToken);
  });
});
