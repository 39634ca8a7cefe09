import type { FastifyInstance } from 'fastify';
import type { AssignmentResponse, Credentials, RolloutDetail, RolloutList, RolloutPolicy } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { rolloutIdOf } from '../../src/rollout/ids.js';
import { ADMIN_TOKEN, READ_TOKEN, registerCluster, testHub, testKeySpace } from '../helpers.js';

const REVISION = '0123456789abcdef0123456789abcdef01234567';
const ID = rolloutIdOf(REVISION);
const policy: RolloutPolicy = {
  name: 'canary-first',
  waves: [
    { name: 'canary', selector: { names: ['c1'] }, maxParallel: undefined, bakeTimeSeconds: 600, deadlineSeconds: 600 },
    { name: 'rest', selector: { all: true }, maxParallel: { kind: 'percent', percent: 50 }, bakeTimeSeconds: 0, deadlineSeconds: undefined },
  ],
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'pause',
  unselectedClusters: 'excluded',
  blackouts: undefined,
  source: { file: 'rollout/canary.yaml', document: 'RolloutPolicy/canary-first' },
};
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('rollout API', () => {
  const space = testKeySpace('rollout-api');
  let hub: Hub;
  let api: FastifyInstance;
  let c1: Credentials;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false });
    await hub.start();
    api = await hub.api();
    c1 = await registerCluster(hub, 'c1', 'eu');
    await registerCluster(hub, 'c2', 'us');
  });

  afterAll(async () => {
    await hub.close();
    await space.cleanup();
  });

  const getAssignment = (token: string, query = '', headers: Record<string, string> = {}) =>
    api.inject({ method: 'GET', url: `/api/v1/assignment${query}`, headers: { ...auth(token), ...headers } });

  describe('when an agent asks for its assignment', () => {
    it('has none before the first rollout', async () => {
      const response = await getAssignment(c1.apiToken);
      expect(response.statusCode).toBe(200);
      expect(response.json<AssignmentResponse>()).toEqual({ assignment: null });
    });

    it('is answered by the long-poll as soon as the rollout assigns it a revision', async () => {
      const started = Date.now();
      const waiting = getAssignment(c1.apiToken, '?wait=30s');
      await hub.rollouts.heads.publish({ revision: REVISION, policy, seenAt: Date.now() });
      await hub.rollouts.controller.tick();
      const response = await waiting;
      expect(response.statusCode).toBe(200);
      expect(response.json<AssignmentResponse>().assignment).toMatchObject({ cluster: 'c1', revision: REVISION, rolloutId: ID, attempt: 1, tag: `${ID}/1/${REVISION}` });
      expect(response.headers.etag).toBe(`"${ID}/1/${REVISION}"`);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('answers 304 when the agent already has the current assignment', async () => {
      const response = await getAssignment(c1.apiToken, '?wait=0s', { 'if-none-match': `"${ID}/1/${REVISION}"` });
      expect(response.statusCode).toBe(304);
    });

    it.each([
      ['an admin token', ADMIN_TOKEN, '', 403, 'HUB_FORBIDDEN'],
      ['no token', '', '', 401, 'HUB_UNAUTHORIZED'],
      ['a wait over the limit', 'c1', '?wait=2m', 400, 'HUB_INVALID_REQUEST'],
      ['a malformed wait', 'c1', '?wait=soon', 400, 'HUB_INVALID_REQUEST'],
    ])('refuses %s', async (_name, token, query, status, code) => {
      const response = await getAssignment(token === 'c1' ? c1.apiToken : token, query);
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ error: { code } });
    });
  });

  describe('when a person looks at and controls rollouts', () => {
    const control = (action: string, token = ADMIN_TOKEN, id = ID) =>
      api.inject({ method: 'POST', url: `/api/v1/rollouts/${id}/${action}`, headers: auth(token), payload: { reason: 'checking dashboards' } });

    it('lists rollouts and shows each wave, each cluster and the gate holding the wave', async () => {
      const list = await api.inject({ method: 'GET', url: '/api/v1/rollouts', headers: auth(READ_TOKEN) });
      expect(list.json<RolloutList>().items.map((item) => [item.id, item.phase, item.policy])).toEqual([[ID, 'progressing', 'canary-first']]);
      const detail = (await api.inject({ method: 'GET', url: `/api/v1/rollouts/${ID}`, headers: auth(READ_TOKEN) })).json<RolloutDetail>();
      // c1 registered but never reported: nothing it could apply counts until it does.
      expect(detail.hold).toEqual({ reason: 'online', clusters: ['c1'], until: null });
      expect(detail.waves.map((wave) => [wave.name, wave.state, wave.clusters.map((cluster) => `${cluster.name}:${cluster.status}`)])).toEqual([
        ['canary', 'progressing', ['c1:updating']], ['rest', 'waiting', ['c2:pending']],
      ]);
      expect(detail.notices.map((notice) => notice.kind)).toEqual(['waveStarted', 'started']);
    });

    const firingRolloutAlerts = async () => (await hub.alerts.list({ status: 'firing' }))
      .filter((alert) => alert.rule.startsWith('NetfleetRollout')).map((alert) => [alert.rule, alert.labels.rollout, alert.summary]);

    it('pauses and resumes, raising an alert while paused, and refuses a promote that does not apply', async () => {
      const paused = await control('pause');
      expect(paused.statusCode).toBe(200);
      expect(paused.json<RolloutDetail>()).toMatchObject({ phase: 'paused', reason: 'checking dashboards' });
      await hub.rollouts.controller.tick();
      expect(await firingRolloutAlerts()).toEqual([['NetfleetRolloutPaused', ID, `rollout ${ID} of revision ${ID} paused: checking dashboards`]]);
      const promote = await control('promote');
      expect(promote.statusCode).toBe(409);
      expect(promote.json()).toMatchObject({ error: { code: 'HUB_ROLLOUT_REFUSED', message: `rollout ${ID}: only a baking wave can be promoted, the rollout is paused` } });
      expect((await control('resume')).json<RolloutDetail>().phase).toBe('progressing');
      await hub.rollouts.controller.tick();
      expect(await firingRolloutAlerts()).toEqual([]);
    });

    it('counts rollouts by phase in the metrics', async () => {
      const metrics = await api.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/^netfleet_hub_rollouts\{phase="progressing"\} 1$/m);
    });

    it('refuses controls from a read-only token and about unknown rollouts', async () => {
      expect((await control('abort', READ_TOKEN)).statusCode).toBe(403);
      const missing = await control('abort', ADMIN_TOKEN, 'ffffffffffff');
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'HUB_NOT_FOUND' } });
      const retry = await api.inject({ method: 'POST', url: `/api/v1/rollouts/${ID}/clusters/c2/retry`, headers: auth(ADMIN_TOKEN) });
      expect(retry.statusCode).toBe(409);
    });
  });
});
