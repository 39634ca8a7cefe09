import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AssignmentResponse, Credentials } from '@netfleet/shared';
import { createWorkTree, startGitServer, type GitServer, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { rolloutIdOf } from '../../src/rollout/ids.js';
import { eventually, exampleFleetFiles, registerCluster, testHub, testKeySpace } from '../helpers.js';

const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';
/** Canary first, then the rest; no blackout windows, so the test runs any day. */
const POLICY = `apiVersion: netfleet.io/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  waves:
    - name: canary
      selector:
        names: [eu-fra-2]
      bakeTime: 10m
    - name: rest
      selector:
        regions: [eu-central]
  onFailure: rollback
  unselectedClusters: lastWave
`;

describe('when a commit is pushed to the fleet repository', () => {
  const space = testKeySpace('rollout-follow');
  let server: GitServer;
  let tree: WorkTree;
  let cacheDir: string;
  let hub: Hub;
  let api: FastifyInstance;
  let canary: Credentials;

  beforeAll(async () => {
    server = await startGitServer();
    const repo = await server.createRepo('fleet');
    tree = await createWorkTree(repo.dir);
    await tree.write({ ...(await exampleFleetFiles()), 'rollout/default.yaml': POLICY });
    await tree.commit('the fleet');
    await tree.push();
    cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-follow-'));
    hub = testHub(space, {
      // The controller's own ticks are a minute apart: a new head must wake it.
      sweeper: false, rolloutIntervalMs: 60_000, webhookSecret: WEBHOOK_SECRET,
      // Polling is slow on purpose: after the first poll, only the webhook makes a commit known.
      fleetRepo: { url: repo.url, cacheDir, intervalMs: 600_000 },
    });
    canary = await registerCluster(hub, 'eu-fra-2', 'eu-central');
    await registerCluster(hub, 'eu-fra-1', 'eu-central');
    await hub.start();
    api = await hub.api();
  });

  afterAll(async () => {
    await hub.close();
    await tree.dispose();
    await server.dispose();
    await rm(cacheDir, { recursive: true, force: true });
    await space.cleanup();
  });

  const assignment = (headers: Record<string, string> = {}, wait = '0s') => api.inject({
    method: 'GET', url: `/api/v1/assignment?wait=${wait}`, headers: { authorization: `Bearer ${canary.apiToken}`, ...headers },
  });

  function webhook(body: string, signature: string, delivery = randomBytes(8).toString('hex')) {
    return api.inject({
      method: 'POST', url: '/api/v1/webhooks/git', payload: body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signature },
    });
  }
  const sign = (body: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
  /** The webhook of each push, as the forge sent it: replayed later by the test. */
  const sent: Array<{ body: string; delivery: string; revision: string }> = [];

  /** Commits, pushes and sends its signed webhook, as a forge would. */
  async function pushAndNotify(file: string, before: string) {
    await tree.write({ 'README.md': file });
    const revision = await tree.commit(file.trim());
    await tree.push();
    const body = JSON.stringify({ ref: 'refs/heads/main', before, after: revision });
    const delivery = randomBytes(8).toString('hex');
    sent.push({ body, delivery, revision });
    return { revision, response: await webhook(body, sign(body), delivery) };
  }

  it('rolls the first head out to the canary, found by polling', async () => {
    const first = await tree.resolve('HEAD');
    await eventually(async () => expect((await assignment()).json<AssignmentResponse>().assignment?.revision).toBe(first));
    expect((await hub.rollouts.store.assignment('eu-fra-1'))).toBeNull();
  });

  it('refuses a webhook with a bad signature', async () => {
    const response = await webhook('{"ref":"refs/heads/main","after":"' + 'a'.repeat(40) + '"}', `sha256=${'0'.repeat(64)}`);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_WEBHOOK_REJECTED' } });
  });

  it('supersedes the rollout in progress and wakes the canary agent waiting on its assignment', async () => {
    const current = (await assignment()).json<AssignmentResponse>().assignment!;
    const waiting = assignment({ 'if-none-match': `"${current.tag}"` }, '30s');
    const pushedAt = Date.now();
    const { revision: second, response: accepted } = await pushAndNotify('a newer commit\n', current.revision);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({ accepted: true });

    const response = await waiting;
    expect(response.statusCode).toBe(200);
    // Woken by the new head, not by a tick of the minute-long interval.
    expect(Date.now() - pushedAt).toBeLessThan(10_000);
    expect(response.json<AssignmentResponse>().assignment).toMatchObject({ revision: second, rolloutId: rolloutIdOf(second), attempt: 1 });
    const superseded = await hub.rollouts.store.get(rolloutIdOf(current.revision));
    expect(superseded).toMatchObject({ phase: 'superseded', reason: `superseded by revision ${second}` });
    expect((await hub.rollouts.store.get(rolloutIdOf(second)))?.carriedOver).toEqual(['eu-fra-2']);
  });

  it('does not roll back for a replayed or a late webhook naming an older commit: the follower reads the branch tip', async () => {
    const second = sent.at(-1)!;
    const { revision: third, response } = await pushAndNotify('the newest commit\n', second.revision);
    expect(response.statusCode).toBe(202);
    await eventually(async () => expect((await hub.rollouts.store.active())?.revision).toBe(third));

    // The same delivery again (a forge's redelivery, or a captured request replayed): ignored by its id.
    const replayed = await webhook(second.body, sign(second.body), second.delivery);
    expect(replayed.json()).toEqual({ accepted: false });
    // A delivery of the older push arriving late, under its own id: it only wakes the follower.
    server.clearLog();
    const late = await webhook(second.body, sign(second.body));
    expect(late.json()).toEqual({ accepted: true });
    // Woken, the follower asks the server for the branch tip (an advertisement, or a protocol v2 ls-refs).
    await eventually(() => expect(server.requests.some((entry) => entry.status === 200)).toBe(true));
    await hub.rollouts.controller.tick();

    expect((await hub.rollouts.heads.latest())?.revision).toBe(third);
    expect((await hub.rollouts.store.active())?.revision).toBe(third);
    expect((await hub.rollouts.store.get(rolloutIdOf(second.revision)))?.phase).toBe('superseded');
    expect((await assignment()).json<AssignmentResponse>().assignment?.revision).toBe(third);
  });
});
