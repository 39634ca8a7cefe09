/**
 * Hostile report jobs: what anything with write access to the report queue (since reports
 * go through the API: a hub replica only) could put there, and hostile contents the API
 * cannot see. Each is refused at once and counted, and the hub keeps ingesting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN_VALUE, MAX_REPORT_BYTES, ReportKind, signReport, type Credentials, type DriftItem } from '@netfleet/shared';
import { AlertRule, RejectReason, type Hub } from '../src/index.js';
import {
  TestSender, eventually, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from './helpers.js';

const space = testKeySpace('ingest-hostile');
let hub: Hub;
let sender: TestSender;
let eu1: Credentials;
let seq = 0;

const counted = async (result: string) => (await hub.metrics.reports.get()).values
  .filter((value) => value.labels.result === result).reduce((sum, value) => sum + value.value, 0);

/** A normal report from eu-1 is applied after whatever came before. */
async function stillIngesting(): Promise<void> {
  seq += 1;
  const revision = `after-${seq}`;
  await sender.send(eu1, report('eu-1', seq, ReportKind.Heartbeat, heartbeatBody(revision)));
  await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.revision).toBe(revision));
}

beforeAll(async () => {
  hub = testHub(space, { sweeper: false, rollouts: false, maxSeqJump: 1000 });
  await hub.start();
  sender = new TestSender(space);
  eu1 = await registerCluster(hub, 'eu-1', 'eu');
  await registerCluster(hub, 'us-1', 'us');
  await stillIngesting();
});

afterAll(async () => {
  await sender.close();
  await hub.close();
  await space.cleanup();
});

describe('when a job cannot be decoded', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  it.each([
    // Larger than any report and not even JSON: refused from its length, before BullMQ or the hub parse it.
    ['a payload larger than any report', `{"seq":1,"padding":"${'x'.repeat(8 * MAX_REPORT_BYTES)}`, RejectReason.Oversized],
    ['invalid JSON', '{"protocolVersion":1,', RejectReason.Malformed],
    ['NaN as the seq', '{"seq":NaN}', RejectReason.Malformed],
    ['an empty list of reports', '[ ]', RejectReason.Malformed],
    ['a list holding no report text', '[{"seq":12}]', RejectReason.Malformed],
    ['100,000-deep nesting', deep(100_000), RejectReason.Malformed],
    ['100,000-deep nesting inside report text', JSON.stringify(deep(100_000)), RejectReason.Malformed],
    ['a group of no requests', '{"requests":[]}', RejectReason.Malformed],
    ['a group whose request holds no report', '{"requests":[{"sender":"eu-1","reports":[]}]}', RejectReason.Malformed],
    ['a group whose request holds no report text', '{"requests":[{"sender":"eu-1","reports":[{"seq":12}]}]}', RejectReason.Malformed],
    ['a group larger than any job', `{"requests":[{"sender":"eu-1","reports":["${'x'.repeat(30 * MAX_REPORT_BYTES)}"]}]}`, RejectReason.Oversized],
  ])('refuses %s at once, counts it, and is never retried', { timeout: 30_000 }, async (_name, payload, reason) => {
    const before = await counted(reason);
    const jobId = `eu-1.${900_000 + payload.length % 1000}`;
    await sender.sendPayload(payload, jobId);
    await eventually(async () => expect(await counted(reason)).toBe(before + 1));
    // Counted first, then the job is finished: wait for it to leave the active state.
    const status = await eventually(async () => {
      const found = await sender.jobStatus(jobId);
      expect(['failed', 'completed']).toContain(found.state);
      return found;
    });
    expect(status).toMatchObject({ attemptsStarted: 1, stalled: 0 });
    await sender.removeJob(jobId);
    await stillIngesting();
  });
});

describe('when a report names someone else or carries hostile values', () => {
  it('labels a rejection with the authenticated sender, not with the cluster the report names', async () => {
    // Signed by eu-1 with its own key, naming us-1, sent as eu-1 (the API names the sender in the job id).
    const forged = signReport(report('us-1', 1, ReportKind.Heartbeat, heartbeatBody('hijack')), eu1.reportKey);
    await sender.sendRaw(forged, 'eu-1.500');
    const alert = await eventually(async () => {
      const found = (await hub.alerts.list({ status: 'firing' })).find((candidate) =>
        candidate.rule === AlertRule.ReportRejected && candidate.labels.reason === RejectReason.CrossCluster);
      expect(found).toBeDefined();
      return found!;
    });
    expect(alert.labels.cluster).toBe('eu-1');
    expect((await hub.fleet.detail('us-1'))?.reports).toBe(0);
  });

  it('labels a rejection in a group with the sender the API named for its request', async () => {
    const forged = signReport(report('us-1', 2, ReportKind.Heartbeat, heartbeatBody('hijack')), eu1.reportKey);
    const before = await counted(RejectReason.CrossCluster);
    await sender.sendPayload(JSON.stringify({ requests: [{ sender: 'eu-1', reports: [JSON.stringify(forged)] }] }), 'group-cross-cluster');
    await eventually(async () => expect(await counted(RejectReason.CrossCluster)).toBe(before + 1));
    // The job id names no cluster: the alert is labelled with the request's sender, not as unregistered.
    await eventually(async () => {
      const alerts = (await hub.alerts.list({ status: 'firing' })).filter((candidate) =>
        candidate.rule === AlertRule.ReportRejected && candidate.labels.reason === RejectReason.CrossCluster);
      expect(alerts.map((alert) => alert.labels.cluster)).toEqual(['eu-1']);
    });
    expect((await hub.fleet.detail('us-1'))?.reports).toBe(0);
  });

  it('refuses a seq beyond a safe integer, and later reports are no replays', async () => {
    await sender.send(eu1, { ...report('eu-1', 1, ReportKind.Heartbeat, heartbeatBody('huge-seq')), seq: 1e300 }, { jobId: 'eu-1.1e300' });
    await eventually(async () => expect(await counted(RejectReason.Malformed)).toBeGreaterThan(0));
    await stillIngesting();
    expect((await hub.fleet.detail('eu-1'))?.lastSeq).toBe(seq);
  });

  it('refuses a seq that jumps beyond the window above the highest, and later reports are no replays', async () => {
    const before = await counted(RejectReason.SeqJump);
    await sender.send(eu1, report('eu-1', seq + 5000, ReportKind.Heartbeat, heartbeatBody('jump')));
    await eventually(async () => expect(await counted(RejectReason.SeqJump)).toBe(before + 1));
    await stillIngesting();
    expect((await hub.fleet.detail('eu-1'))?.lastSeq).toBe(seq);
  });

  it.each([
    ['year 9999', '9999-12-31T23:59:59Z'],
    ['year 0001', '0001-01-01T00:00:00Z'],
  ])('refuses a report dated %s', async (_name, time) => {
    const before = await counted(RejectReason.ClockSkew);
    seq += 1;
    await sender.send(eu1, { ...report('eu-1', seq, ReportKind.Sync, syncBody('from-another-time')), time });
    await eventually(async () => expect(await counted(RejectReason.ClockSkew)).toBe(before + 1));
    expect((await hub.fleet.detail('eu-1'))?.sync?.revision).not.toBe('from-another-time');
  });

  it('dates state with the hub\'s receive time, not the agent\'s clock', async () => {
    const sentAt = Date.now();
    seq += 1;
    await sender.send(eu1, { ...report('eu-1', seq, ReportKind.Sync, syncBody('an-hour-late')), time: new Date(sentAt - 3_600_000).toISOString() });
    const detail = await eventually(async () => {
      const found = await hub.fleet.detail('eu-1');
      expect(found?.sync?.revision).toBe('an-hour-late');
      return found!;
    });
    expect(Date.parse(detail.sync!.at)).toBeGreaterThanOrEqual(sentAt - 1000);
    const [event] = await hub.fleet.events('eu-1', 1);
    expect(Date.parse(event!.time)).toBeGreaterThanOrEqual(sentAt - 1000);
  });

  it('stores drift with secret members hidden at any depth of an object value', async () => {
    const item: DriftItem = {
      id: 'deckhouse.io_ModuleConfig__grafana', subject: { group: 'deckhouse.io', kind: 'ModuleConfig', namespace: '', name: 'grafana' },
      type: 'changed', policy: 'alert',
      fields: [{ path: '/spec/settings', desired: { auth: { password: 'hunter2-desired' } }, live: { auth: { nested: [{ token: 'hunter2-live' }] } } }],
    };
    seq += 1;
    await sender.send(eu1, report('eu-1', seq, ReportKind.Drift, { revision: 'r', items: [item] }));
    const drift = await eventually(async () => {
      const found = await hub.fleet.drift('eu-1');
      expect(found?.items).toHaveLength(1);
      return found!;
    });
    expect(JSON.stringify(drift)).not.toContain('hunter2');
    expect(drift.items[0]!.fields[0]).toEqual({ path: '/spec/settings', desired: { auth: { password: HIDDEN_VALUE } }, live: { auth: { nested: [{ token: HIDDEN_VALUE }] } } });
  });
});
