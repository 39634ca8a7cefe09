import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, HIDDEN_VALUE, LinkKind, LinkReason, LinkState, ReportKind, SyncReason, createLogger, type Credentials } from '@netfleet/shared';
import { RejectReason, type Hub } from '../src/index.js';
import {
  TestSender, driftItem, eventually, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from './helpers.js';

const space = testKeySpace('ingest');
let hub: Hub;
let sender: TestSender;
let eu1: Credentials;
let us1: Credentials;

async function reportsCounted(kind: string, result: string): Promise<number> {
  const metric = await hub.metrics.reports.get();
  return metric.values.find((value) => value.labels.kind === kind && value.labels.result === result)?.value ?? 0;
}

beforeAll(async () => {
  hub = testHub(space, { replayWindow: 4, sweeper: false });
  await hub.start();
  sender = new TestSender(space);
  eu1 = await registerCluster(hub, 'eu-1', 'eu', { tier: 'prod' });
  us1 = await registerCluster(hub, 'us-1', 'us', { tier: 'dev' });
});

afterAll(async () => {
  await sender.close();
  await hub.close();
  await space.cleanup();
});

describe('when a registered cluster reports', () => {
  it('applies a heartbeat: online, revision, readiness, indexes', async () => {
    await sender.send(eu1, report('eu-1', 1, ReportKind.Heartbeat, heartbeatBody('aaa111')));
    const detail = await eventually(async () => {
      const found = await hub.fleet.detail('eu-1');
      expect(found?.state).toBe(ClusterState.Online);
      return found!;
    });
    expect(detail).toMatchObject({ revision: 'aaa111', objects: 5, agentVersion: '0.1.0', readiness: { ready: 5 }, reports: 1, lastSeq: 1 });
    expect(await hub.redis.zscore(hub.keys.index('revision', 'aaa111'), 'eu-1')).not.toBeNull();
    expect(await hub.redis.zscore(hub.keys.index('state', 'online'), 'eu-1')).not.toBeNull();
    expect(await hub.redis.zscore(hub.keys.index('state', 'registered'), 'eu-1')).toBeNull();
  });

  it('applies a sync result and moves the revision and sync indexes', async () => {
    await sender.send(eu1, report('eu-1', 2, ReportKind.Sync, syncBody('bbb222', SyncReason.ApplyFailed)));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.sync?.status).toBe('failed-transient'));
    await sender.send(eu1, report('eu-1', 3, ReportKind.Sync, syncBody('bbb222')));
    const detail = await eventually(async () => {
      const found = await hub.fleet.detail('eu-1');
      expect(found?.sync?.status).toBe('succeeded');
      return found!;
    });
    expect(detail.revision).toBe('bbb222');
    expect(await hub.redis.zscore(hub.keys.index('revision', 'aaa111'), 'eu-1')).toBeNull();
    expect(await hub.redis.zscore(hub.keys.index('sync', 'succeeded'), 'eu-1')).not.toBeNull();
    expect(await hub.redis.zscore(hub.keys.index('sync', 'failed-transient'), 'eu-1')).toBeNull();
    const events = await hub.fleet.events('eu-1', 10);
    expect(events.map((event) => event.seq)).toEqual([3, 2]);
  });

  it('stores drift items with Secret values hidden', async () => {
    const secretDrift = {
      id: '_Secret_d8-system_tls', subject: { group: '', kind: 'Secret', namespace: 'd8-system', name: 'tls' },
      type: 'changed' as const, policy: 'alert' as const, fields: [{ path: '/data/tls.key', desired: 'c2VjcmV0', live: 'b3RoZXI=' }],
    };
    await sender.send(eu1, report('eu-1', 4, ReportKind.Drift, { revision: 'bbb222', items: [driftItem('main'), secretDrift] }));
    const drift = await eventually(async () => {
      const found = await hub.fleet.drift('eu-1');
      expect(found?.items).toHaveLength(2);
      return found!;
    });
    expect(drift.items[1]!.fields[0]).toEqual({ path: '/data/tls.key', desired: HIDDEN_VALUE, live: HIDDEN_VALUE });
    expect(JSON.stringify(await hub.redis.hgetall(hub.keys.cluster('eu-1')))).not.toContain('c2VjcmV0');
    expect((await hub.fleet.detail('eu-1'))?.driftCount).toBe(2);
  });

  it('does not let a late report overwrite newer state of its kind', async () => {
    await sender.send(eu1, report('eu-1', 6, ReportKind.Heartbeat, heartbeatBody('bbb222')));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.lastSeq).toBe(6));
    await sender.send(eu1, report('eu-1', 5, ReportKind.Heartbeat, heartbeatBody('old000')));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.reports).toBe(6));
    expect((await hub.fleet.detail('eu-1'))?.revision).toBe('bbb222');
  });

  it('stores the latest link report without adding an event', async () => {
    const events = (await hub.fleet.events('eu-1', 200)).length;
    const link = {
      kind: LinkKind.Federation, name: 'us-1', managed: true, metadataEndpoint: 'https://istio.us-1.example.com/metadata/', peerDomain: 'us-1.example.com',
      state: LinkState.Healthy, reason: LinkReason.ExchangeSucceeded, message: 'metadata exchanged',
    };
    await sender.send(eu1, report('eu-1', 7, ReportKind.Link, { links: [link] }));
    await eventually(async () => expect(await hub.redis.hget(hub.keys.cluster('eu-1'), 'links')).toContain('us-1'));
    expect((await hub.fleet.events('eu-1', 200)).length).toBe(events);
  });

  it('ignores a resent report (same seq) and counts it as a duplicate', async () => {
    const before = await reportsCounted('heartbeat', 'duplicate');
    await sender.send(eu1, report('eu-1', 6, ReportKind.Heartbeat, heartbeatBody('bbb222')), { jobId: 'eu-1.6-resend' });
    await eventually(async () => expect(await reportsCounted('heartbeat', 'duplicate')).toBe(before + 1));
    expect((await hub.fleet.detail('eu-1'))?.reports).toBe(7);
  });
});

describe('when a report must not be trusted', () => {
  const cases: Array<[string, RejectReason, () => Promise<void>]> = [
    ['a spoofed signature', RejectReason.Signature,
      async () => void await sender.send(eu1, report('eu-1', 20, ReportKind.Heartbeat, heartbeatBody()), { key: 'ee'.repeat(32) })],
    ['a replayed old seq', RejectReason.Replay,
      async () => void await sender.send(eu1, report('eu-1', 1, ReportKind.Heartbeat, heartbeatBody('replayed')), { jobId: 'eu-1.1-replay' })],
    ['a report for another cluster signed with its own key', RejectReason.Signature,
      async () => void await sender.send(us1, report('eu-1', 21, ReportKind.Heartbeat, heartbeatBody('hijack')), { key: us1.reportKey })],
    ['a report for another cluster on its own job id', RejectReason.CrossCluster,
      async () => void await sender.send(us1, report('eu-1', 22, ReportKind.Heartbeat, heartbeatBody('hijack')), { jobId: 'us-1.22', key: us1.reportKey })],
    ['an unknown cluster', RejectReason.UnknownCluster,
      async () => void await sender.send(eu1, report('ghost', 1, ReportKind.Heartbeat, heartbeatBody()))],
    ['a malformed body', RejectReason.Malformed,
      async () => void await sender.sendRaw({ ...report('eu-1', 23, ReportKind.Heartbeat, heartbeatBody()), body: { revision: 42 }, signature: 'ab'.repeat(32) }, 'eu-1.23')],
    ['a sync whose status is not its reason\'s', RejectReason.Malformed,
      async () => void await sender.send(eu1, report('eu-1', 26, ReportKind.Sync, { ...syncBody('hijack'), reason: SyncReason.ApplyFailed }))],
    ['an oversized body', RejectReason.Oversized,
      async () => void await sender.send(eu1, report('eu-1', 24, ReportKind.Sync, {
        ...syncBody('big'), changes: [], error: 'x'.repeat(4000),
      }), { jobId: 'eu-1.24' }).then(() => sender.sendRaw({ padding: 'x'.repeat(300 * 1024) }, 'eu-1.25'))],
  ];

  it.each(cases)('rejects %s, counts it and leaves state alone', async (_name, reason, send) => {
    const before = await hub.fleet.detail('eu-1');
    const counted = async () => (await hub.metrics.reports.get()).values
      .filter((value) => value.labels.result === reason).reduce((sum, value) => sum + value.value, 0);
    const countedBefore = await counted();
    await send();
    await eventually(async () => expect(await counted()).toBeGreaterThan(countedBefore));
    const after = await hub.fleet.detail('eu-1');
    if (reason !== RejectReason.Oversized) expect(after?.reports).toBe(before?.reports);
    expect(after?.revision).not.toMatch(/replayed|hijack/);
  });

  it('rejects reports of a revoked cluster', async () => {
    const revokedCreds = await registerCluster(hub, 'gone-1', 'eu');
    await hub.registry.revoke('gone-1');
    await sender.send(revokedCreds, report('gone-1', 1, ReportKind.Heartbeat, heartbeatBody()));
    await eventually(async () => expect(await reportsCounted('heartbeat', RejectReason.Revoked)).toBe(1));
    expect((await hub.fleet.detail('gone-1'))?.state).toBe(ClusterState.Revoked);
    expect((await hub.fleet.detail('gone-1'))?.reports).toBe(0);
  });

  it('rejects reports signed with a key from before a rotation', async () => {
    const rotated = await hub.registry.rotate('us-1');
    await sender.send(us1, report('us-1', 1, ReportKind.Heartbeat, heartbeatBody('stale-key')));
    await sender.send(rotated, report('us-1', 2, ReportKind.Heartbeat, heartbeatBody('new-key')));
    await eventually(async () => expect((await hub.fleet.detail('us-1'))?.revision).toBe('new-key'));
    expect((await hub.fleet.detail('us-1'))?.reports).toBe(1);
  });

  it('raises a report-rejected alert naming the reason', async () => {
    const alerts = await hub.alerts.list({ status: 'firing' });
    expect(alerts.map((alert) => alert.labels.reason)).toEqual(expect.arrayContaining(['signature', 'replay', 'malformed']));
  });
});

describe('when a hub keeps few events (eventsCap 3) and logs at info', () => {
  const logSpace = testKeySpace('ingest-log');
  const lines: string[] = [];
  let logged: Hub;
  let logSender: TestSender;

  beforeAll(async () => {
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    logged = testHub(logSpace, { sweeper: false, eventsCap: 3, logger: createLogger({ name: 'hub', level: 'info', destination }) });
    await logged.start();
    logSender = new TestSender(logSpace);
  });

  afterAll(async () => {
    await logSender.close();
    await logged.close();
    await logSpace.cleanup();
  });

  it('logs the cluster, kind, seq and reason, never the body or the signature', async () => {
    const credentials = await registerCluster(logged, 'eu-9', 'eu');
    const sent = await logSender.send(credentials, report('eu-9', 3, ReportKind.Sync, { ...syncBody('r', SyncReason.ApplyFailed), error: 'password=hunter2' }), { key: 'ee'.repeat(32) });
    await eventually(() => expect(lines.some((line) => line.includes('report rejected'))).toBe(true));
    const line = JSON.parse(lines.find((candidate) => candidate.includes('report rejected'))!);
    expect(line).toMatchObject({ cluster: 'eu-9', kind: 'sync', seq: 3, reason: 'signature' });
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).not.toContain(sent.signature);
  });

  it('logs what was wrong with a malformed report: the field and what was expected', async () => {
    const credentials = await registerCluster(logged, 'eu-7', 'eu');
    await logSender.send(credentials, report('eu-7', 1, ReportKind.Sync, { ...syncBody('r'), reason: SyncReason.WaitingForModule }));
    const rejected = await eventually(() => lines.map((candidate) => JSON.parse(candidate) as Record<string, unknown>)
      .find((candidate) => candidate.msg === 'report rejected' && candidate.cluster === 'eu-7') ?? false);
    expect(rejected).toMatchObject({ reason: 'malformed', problem: expect.stringContaining("field '/body/status' must be 'progressing' for reason WaitingForModule, got 'succeeded'") });
  });

  it('keeps only the newest events of a cluster', async () => {
    const credentials = await registerCluster(logged, 'eu-8', 'eu');
    for (let seq = 1; seq <= 5; seq += 1) {
      // One at a time: parallel workers may apply a burst in any order.
      await logSender.send(credentials, report('eu-8', seq, ReportKind.Sync, syncBody(`r${seq}`)));
      await eventually(async () => expect((await logged.fleet.detail('eu-8'))?.reports).toBe(seq));
    }
    expect((await logged.fleet.events('eu-8', 100)).map((event) => event.seq)).toEqual([5, 4, 3]);
  });
});
