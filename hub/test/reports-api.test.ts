/**
 * `POST /api/v1/reports`: the only way reports reach the hub. Only a cluster token may
 * send, and only its own cluster's reports; sizes are bounded (413 in the hub's error
 * format); a queue over its bound answers 429 with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_REPORT_BYTES, MAX_REPORTS_PER_REQUEST, REPORTS_PATH, ReportKind, signReport, type Credentials,
} from '@netfleet/shared';
import type { Hub } from '../src/index.js';
import {
  ADMIN_TOKEN, READ_TOKEN, eventually, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from './helpers.js';

const space = testKeySpace('reports-api');
let hub: Hub;
let alpha: Credentials;
let beta: Credentials;

const post = async (token: string | undefined, payload: unknown) => (await hub.api()).inject({
  method: 'POST', url: REPORTS_PATH, payload: payload as Record<string, unknown>,
  headers: token ? { authorization: `Bearer ${token}` } : {},
});
const signed = (credentials: Credentials, seq: number, revision = `r${seq}`) =>
  signReport(report(credentials.cluster, seq, ReportKind.Heartbeat, heartbeatBody(revision)), credentials.reportKey);

beforeAll(async () => {
  hub = testHub(space, { sweeper: false, rollouts: false });
  await hub.start();
  alpha = await registerCluster(hub, 'alpha', 'eu');
  beta = await registerCluster(hub, 'beta', 'eu');
});

afterAll(async () => {
  await hub.close();
  await space.cleanup();
});

describe('when a cluster posts its reports', () => {
  it('queues them (202) and the ingest workers apply them', async () => {
    const response = await post(alpha.apiToken, { reports: [signed(alpha, 1), signed(alpha, 2, 'second')] });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: 2, refused: [] });
    await eventually(async () => expect(await hub.fleet.detail('alpha')).toMatchObject({ revision: 'second', reports: 2 }));
  });

  it('takes a resend as harmless: the same job, applied once', async () => {
    expect((await post(alpha.apiToken, { reports: [signed(alpha, 2, 'second')] })).statusCode).toBe(202);
    expect((await post(alpha.apiToken, { reports: [signed(alpha, 3, 'third')] })).statusCode).toBe(202);
    await eventually(async () => expect(await hub.fleet.detail('alpha')).toMatchObject({ revision: 'third', reports: 3 }));
  });

  it('applies every report of one request exactly once, in order, under the seq guards', async () => {
    const delta = await registerCluster(hub, 'delta', 'eu');
    const counted = async (result: string) => (await hub.metrics.reports.get()).values
      .filter((value) => value.labels.result === result).reduce((sum, value) => sum + value.value, 0);
    const [duplicates, forged] = [await counted('duplicate'), await counted('signature')];
    const batch = [
      signed(delta, 1, 'one'), signed(delta, 3, 'three'),
      // Late: applied, but the revision stays the newer heartbeat's.
      signed(delta, 2, 'two'),
      // The same report twice: applied once.
      signed(delta, 3, 'three'),
      // Signed with another cluster's key: refused alone.
      signReport(report('delta', 4, ReportKind.Heartbeat, heartbeatBody('forged')), alpha.reportKey),
      signReport(report('delta', 5, ReportKind.Sync, syncBody('five')), delta.reportKey),
    ];
    expect((await post(delta.apiToken, { reports: batch })).json()).toEqual({ queued: 6, refused: [] });
    await eventually(async () => expect(await counted('signature')).toBe(forged + 1));
    expect(await hub.fleet.detail('delta')).toMatchObject({ revision: 'five', reports: 4, lastSeq: 5 });
    expect(await counted('duplicate')).toBe(duplicates + 1);
    // The whole request again (an agent that missed the answer): nothing is applied twice.
    expect((await post(delta.apiToken, { reports: batch })).statusCode).toBe(202);
    await eventually(async () => expect(await counted('duplicate')).toBe(duplicates + 6));
    expect(await hub.fleet.detail('delta')).toMatchObject({ revision: 'five', reports: 4, lastSeq: 5 });
  });

  it('refuses one oversized report of a batch and queues the others', async () => {
    const big = signReport(report('alpha', 4, ReportKind.Sync, { ...syncBody('big'), error: 'x'.repeat(4096) }), alpha.reportKey);
    const padded = { ...big, body: { ...big.body, changes: Array.from({ length: 1200 }, (_, index) => ({
      subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `controller-${index}-${'n'.repeat(180)}` }, action: 'created',
    })) } };
    expect(Buffer.byteLength(JSON.stringify(padded))).toBeGreaterThan(MAX_REPORT_BYTES);
    const response = await post(alpha.apiToken, { reports: [padded, signed(alpha, 5, 'fifth')] });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: 1, refused: [{ seq: 4, reason: 'oversized' }] });
    await eventually(async () => expect((await hub.fleet.detail('alpha'))?.revision).toBe('fifth'));
    const oversized = (await hub.metrics.reports.get()).values.find((value) => value.labels.result === 'oversized');
    expect(oversized?.value).toBe(1);
  });
});

describe('when a request must be refused', () => {
  it.each([
    ['no token', undefined, 401],
    ['an admin token', ADMIN_TOKEN, 403],
    ['a read-only token', READ_TOKEN, 403],
  ])('refuses %s (%i)', async (_name, token, status) => {
    const response = await post(token, { reports: [signed(alpha, 10)] });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: { code: expect.stringMatching(/^HUB_/) } });
  });

  it('refuses (403) a report that names another cluster, and queues nothing of the request', async () => {
    const before = await hub.fleet.detail('beta');
    // Signed with beta's real key, even: alpha's token sends alpha's reports only.
    const response = await post(alpha.apiToken, { reports: [signed(alpha, 11), signed(beta, 1, 'hijack')] });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_FORBIDDEN', message: expect.stringContaining('report 1 names cluster "beta"') } });
    expect((await post(alpha.apiToken, { reports: [signed(alpha, 12, 'twelfth')] })).statusCode).toBe(202);
    await eventually(async () => expect((await hub.fleet.detail('alpha'))?.revision).toBe('twelfth'));
    expect((await hub.fleet.detail('alpha'))?.lastSeq).toBe(12);
    expect(await hub.fleet.detail('beta')).toEqual(before);
  });

  it('answers 413 in the hub\'s error format for a body over the limit', async () => {
    const response = await post(alpha.apiToken, { reports: [{ cluster: 'alpha', padding: 'x'.repeat(5 * MAX_REPORT_BYTES) }] });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      error: { code: 'HUB_PAYLOAD_TOO_LARGE', message: expect.stringContaining('limit'), hint: expect.any(String) },
    });
  });

  it.each([
    ['no reports', () => ({ reports: [] })],
    ['too many reports', () => ({ reports: Array.from({ length: MAX_REPORTS_PER_REQUEST + 1 }, (_, index) => signed(alpha, 100 + index)) })],
    ['not a batch', () => ({ cluster: 'alpha' })],
  ])('answers 400 for %s', async (_name, payload) => {
    const response = await post(alpha.apiToken, payload());
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_INVALID_REQUEST' } });
  });

  it('refuses reports without a usable seq one by one (malformed)', async () => {
    const response = await post(alpha.apiToken, { reports: [{ ...signed(alpha, 13), seq: 1e300 }, { ...signed(alpha, 14), seq: 'x' }] });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ queued: 0, refused: [{ seq: null, reason: 'malformed' }, { seq: null, reason: 'malformed' }] });
  });
});

describe('when the report queue is deeper than its bound', () => {
  const busySpace = testKeySpace('reports-api-busy');
  let busy: Hub;
  let gamma: Credentials;

  beforeAll(async () => {
    // No ingest worker: the queue only grows.
    busy = testHub(busySpace, { sweeper: false, rollouts: false, ingest: false, maxReportQueueDepth: 3, reportRetryAfterSeconds: 7 });
    gamma = await registerCluster(busy, 'gamma', 'eu');
  });

  afterAll(async () => {
    await busy.close();
    await busySpace.cleanup();
  });

  it('answers 429 with Retry-After and queues nothing more', async () => {
    const send = async (seq: number) => (await busy.api()).inject({
      method: 'POST', url: REPORTS_PATH, headers: { authorization: `Bearer ${gamma.apiToken}` },
      payload: { reports: [signReport(report('gamma', seq, ReportKind.Heartbeat, heartbeatBody()), gamma.reportKey)] },
    });
    for (const seq of [1, 2, 3]) expect((await send(seq)).statusCode).toBe(202);
    const refused = await send(4);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json()).toMatchObject({ error: { code: 'HUB_BUSY', hint: expect.stringContaining('Retry-After') } });
    expect((await busy.metrics.reportsThrottled.get()).values[0]?.value).toBe(1);
  });
});
