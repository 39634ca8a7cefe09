import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createLogger, type AuditEntry, type Credentials } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { rolloutIdOf } from '../src/rollout/ids.js';
import { ALL_AT_ONCE_POLICY, ADMIN_TOKEN, READ_TOKEN, registerCluster, testHub, testKeySpace } from './helpers.js';

const REVISION = 'fedcba9876543210fedcba9876543210fedcba98';
const ROLLOUT = rolloutIdOf(REVISION);
const AUDIT_CAP = 8;
const adminId = `admin:${createHash('sha256').update(ADMIN_TOKEN).digest('hex').slice(0, 12)}`;

describe('the audit trail of credential and rollout actions', () => {
  const space = testKeySpace('audit');
  const logLines: string[] = [];
  let hub: Hub;
  let api: FastifyInstance;
  let alpha: Credentials;

  beforeAll(async () => {
    const destination = new Writable({ write(chunk: Buffer, _encoding, done) { logLines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    hub = testHub(space, { sweeper: false, rollouts: false, auditCap: AUDIT_CAP, logger: createLogger({ name: 'hub-test', level: 'info', destination }) });
    await hub.start();
    api = await hub.api();
    alpha = await registerCluster(hub, 'alpha', 'eu');
    await registerCluster(hub, 'beta', 'eu');
    await hub.rollouts.heads.publish({ revision: REVISION, policy: ALL_AT_ONCE_POLICY, seenAt: Date.now() });
    await hub.rollouts.controller.tick();
  });

  afterAll(async () => {
    await hub.close();
    await space.cleanup();
  });

  const call = (method: 'POST' | 'DELETE', url: string, token = ADMIN_TOKEN, payload?: object) =>
    api.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  it('records each action with who did it, newest first, readable by a read-only token', async () => {
    expect((await call('POST', '/api/v1/clusters/alpha/rotate', alpha.apiToken)).statusCode).toBe(200);
    expect((await call('POST', '/api/v1/clusters/beta/rotate')).statusCode).toBe(200);
    expect((await call('POST', '/api/v1/clusters/beta/revoke')).statusCode).toBe(204);
    const created = await call('POST', '/api/v1/bootstrap-tokens', ADMIN_TOKEN, { ttlSeconds: 60, maxUses: 1 });
    const id = created.json<{ id: string }>().id;
    expect((await call('DELETE', `/api/v1/bootstrap-tokens/${id}`)).statusCode).toBe(204);
    for (const action of ['pause', 'resume']) expect((await call('POST', `/api/v1/rollouts/${ROLLOUT}/${action}`)).statusCode).toBe(200);
    // Refused actions change nothing and are not recorded as done.
    expect((await call('POST', `/api/v1/rollouts/${ROLLOUT}/promote`)).statusCode).toBe(409);
    expect((await call('POST', '/api/v1/clusters/alpha/rotate', READ_TOKEN)).statusCode).toBe(403);

    const response = await api.inject({ url: '/api/v1/audit', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ items: AuditEntry[] }>().items.map(({ action, principal, target }) => [action, principal, target])).toEqual([
      ['rollout.resume', adminId, ROLLOUT],
      ['rollout.pause', adminId, ROLLOUT],
      ['bootstrap-token.delete', adminId, id],
      ['bootstrap-token.create', adminId, id],
      ['cluster.revoke', adminId, 'beta'],
      ['cluster.rotate', adminId, 'beta'],
      ['cluster.rotate', 'cluster:alpha', 'alpha'],
    ]);
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.audit === true);
    expect(logged.map((line) => [line.action, line.principal, line.target])).toContainEqual(['cluster.revoke', adminId, 'beta']);
    expect(logLines.join('\n')).not.toContain(ADMIN_TOKEN);
  });

  it('keeps only the last entries', async () => {
    for (let round = 0; round < 3; round += 1) {
      for (const action of ['pause', 'resume']) expect((await call('POST', `/api/v1/rollouts/${ROLLOUT}/${action}`)).statusCode).toBe(200);
    }
    const items = (await api.inject({ url: '/api/v1/audit?limit=1000', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json<{ items: AuditEntry[] }>().items;
    expect(items).toHaveLength(AUDIT_CAP);
    expect(items[0]).toMatchObject({ action: 'rollout.resume', principal: adminId });
  });
});
