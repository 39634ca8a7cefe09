import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportKind, SyncReason, type Alert, type Credentials } from '@netfleet/shared';
import { AlertRule, buildDelivery, type Hub } from '../src/index.js';
import {
  TestSender, driftItem, eventually, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from './helpers.js';
import { findAlertmanager, startAlertmanager, startReceiver, type Received } from './receivers.js';

const WEBHOOK_SECRET = 'webhook-signing-secret';

describe('buildDelivery', () => {
  const alert: Alert = {
    fingerprint: 'NetfleetDriftDetected:eu-1', rule: AlertRule.DriftDetected, status: 'firing', severity: 'warning' as Alert['severity'],
    summary: '2 object(s) drifted', labels: { alertname: AlertRule.DriftDetected, cluster: 'eu-1', region: 'eu', revision: 'abc', severity: 'warning' },
    startsAt: '2026-11-26T10:00:00.000Z', endsAt: null,
  };
  const context = { publicUrl: 'http://hub:8080/', firingValidityMs: 60_000, now: Date.parse('2026-11-26T10:00:30.000Z'), deliveryId: 'd-1' };

  it.each([
    ['webhook', { type: 'webhook' as const, name: 'w', url: 'http://x/hook', secret: 's' }, 'http://x/hook'],
    ['slack', { type: 'slack' as const, name: 's', url: 'http://x/slack' }, 'http://x/slack'],
    ['alertmanager', { type: 'alertmanager' as const, name: 'am', url: 'http://am:9093/' }, 'http://am:9093/api/v2/alerts'],
  ])('addresses the %s sink', (_name, sink, url) => {
    expect(buildDelivery(sink, alert, context).url).toBe(url);
  });

  it('names the notification in the webhook\'s X-Netfleet-Delivery header', () => {
    expect(buildDelivery({ type: 'webhook', name: 'w', url: 'http://x/hook' }, alert, context).headers).toMatchObject({ 'x-netfleet-delivery': 'd-1' });
  });

  it('gives Alertmanager a firing alert an end in the future and a resolved one its resolve time', () => {
    const sink = { type: 'alertmanager' as const, name: 'am', url: 'http://am' };
    const [firing] = JSON.parse(buildDelivery(sink, alert, context).body);
    expect(firing).toMatchObject({ labels: alert.labels, startsAt: alert.startsAt, endsAt: '2026-11-26T10:01:30.000Z', generatorURL: 'http://hub:8080/api/v1/clusters/eu-1' });
    const [resolved] = JSON.parse(buildDelivery(sink, { ...alert, status: 'resolved', endsAt: '2026-11-26T10:00:20.000Z' }, context).body);
    expect(resolved.endsAt).toBe('2026-11-26T10:00:20.000Z');
  });
});

describe('when alerts go to webhook and Slack receivers', () => {
  const space = testKeySpace('alerts');
  let hub: Hub;
  let sender: TestSender;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let slack: Awaited<ReturnType<typeof startReceiver>>;
  let eu1: Credentials;
  let seq = 0;

  const webhookAlerts = () => webhook.received.map((request) => JSON.parse(request.body).alert as Alert);

  beforeAll(async () => {
    webhook = await startReceiver();
    slack = await startReceiver();
    hub = testHub(space, {
      sweeper: false, deliveryBackoffMs: 50, alertRepeatIntervalMs: 60_000,
      sinks: [
        { type: 'webhook', name: 'hook', url: `${webhook.url}/alerts`, secret: WEBHOOK_SECRET },
        { type: 'slack', name: 'slack', url: `${slack.url}/services/T000/B000/XXX` },
      ],
    });
    await hub.start();
    sender = new TestSender(space);
    eu1 = await registerCluster(hub, 'eu-1', 'eu', { tier: 'prod' });
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Heartbeat, heartbeatBody('abc123')));
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await webhook.close();
    await slack.close();
    await space.cleanup();
  });

  it('sends drift detected once, signed, with cluster, region and revision labels', async () => {
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Drift, { revision: 'abc123', items: [driftItem('main')] }));
    await eventually(() => expect(webhookAlerts()).toHaveLength(1));
    const [request] = webhook.received as [Received];
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(request.body).digest('hex')}`;
    expect(request.headers['x-netfleet-signature']).toBe(expected);
    expect(webhookAlerts()[0]).toMatchObject({
      rule: AlertRule.DriftDetected, status: 'firing', severity: 'warning',
      labels: { cluster: 'eu-1', region: 'eu', revision: 'abc123', alertname: AlertRule.DriftDetected },
    });
    await eventually(() => expect(slack.received).toHaveLength(1));
    expect(JSON.parse(slack.received[0]!.body).text).toContain('[FIRING:warning] NetfleetDriftDetected on eu-1');
  });

  it('does not send again while the drift persists (deduplicated)', async () => {
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Drift, { revision: 'abc123', items: [driftItem('main'), driftItem('second')] }));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.driftCount).toBe(2));
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Heartbeat, heartbeatBody('abc123')));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.lastSeq).toBe(seq));
    expect(await hub.alerts.list({ status: 'firing', cluster: 'eu-1' })).toHaveLength(1);
    await eventually(async () => expect(await hub.redis.llen(hub.keys.deliveries())).toBe(2));
    expect(webhookAlerts()).toHaveLength(1);
  });

  it('repeats a firing alert after the repeat interval', async () => {
    const fingerprint = `${AlertRule.DriftDetected}:eu-1`;
    await hub.alerts.repeatPass(Date.now() + 61_000);
    await eventually(() => expect(webhookAlerts()).toHaveLength(2));
    expect(webhookAlerts()[1]).toMatchObject({ fingerprint, status: 'firing' });
  });

  it('resolves the alert when the drift is gone', async () => {
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Drift, { revision: 'abc123', items: [] }));
    await eventually(() => expect(webhookAlerts().at(-1)?.status).toBe('resolved'));
    expect(webhookAlerts().at(-1)?.endsAt).not.toBeNull();
    await eventually(() => expect(JSON.parse(slack.received.at(-1)!.body).text).toContain('[RESOLVED]'));
    expect(await hub.alerts.list({ status: 'firing', cluster: 'eu-1' })).toHaveLength(0);
  });

  it('retries a failing delivery with backoff and records every attempt, each with the notification\'s one delivery id', async () => {
    webhook.failNext(2);
    const before = webhookAlerts().length;
    const attemptsBefore = webhook.attempts.length;
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Sync, syncBody('def456', SyncReason.ApplyFailed)));
    await eventually(() => expect(webhookAlerts().length).toBe(before + 1));
    expect(webhookAlerts().at(-1)).toMatchObject({ rule: AlertRule.SyncFailed, severity: 'critical' });
    // The receiver records the request before the worker records the attempt: wait for both.
    await eventually(async () => {
      const history = (await hub.redis.lrange(hub.keys.deliveries(), 0, -1)).map((line) => JSON.parse(line))
        .filter((record) => record.sink === 'hook' && record.fingerprint.startsWith(AlertRule.SyncFailed));
      expect(history.map((record) => `${record.attempt}:${record.result}`).reverse()).toEqual(['1:failed', '2:failed', '3:delivered']);
      expect(new Set(history.map((record) => record.delivery))).toEqual(new Set([webhook.attempts.at(-1)!.headers['x-netfleet-delivery']]));
    });
    // A receiver that took the first attempt (its answer lost) knows the retries by their id.
    const ids = webhook.attempts.slice(attemptsBefore).map((attempt) => attempt.headers['x-netfleet-delivery']);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    const earlier = new Set(webhook.attempts.slice(0, attemptsBefore).map((attempt) => attempt.headers['x-netfleet-delivery']));
    expect(earlier.has(ids[0])).toBe(false);
    expect(earlier.size).toBe(attemptsBefore);
    const metric = await hub.metrics.alertDeliveries.get();
    expect(metric.values.find((value) => value.labels.sink === 'hook' && value.labels.result === 'failed')?.value).toBe(2);
  });

  it('resolves a failed sync when a sync succeeds', async () => {
    await sender.send(eu1, report('eu-1', ++seq, ReportKind.Sync, syncBody('def456')));
    await eventually(() => expect(webhookAlerts().at(-1)).toMatchObject({ rule: AlertRule.SyncFailed, status: 'resolved' }));
  });

  it('notifies every transition of one request\'s reports: a failed sync and the success after it', async () => {
    const before = webhookAlerts().length;
    await sender.sendBatch(eu1, [
      report('eu-1', ++seq, ReportKind.Sync, syncBody('ghi789', SyncReason.ApplyFailed)),
      report('eu-1', ++seq, ReportKind.Sync, syncBody('jkl012')),
    ]);
    await eventually(() => expect(webhookAlerts().length).toBe(before + 2));
    expect(webhookAlerts().slice(before).map((alert) => [alert.rule, alert.status, alert.labels.revision]).sort()).toEqual([
      [AlertRule.SyncFailed, 'firing', 'ghi789'], [AlertRule.SyncFailed, 'resolved', 'ghi789'],
    ]);
    expect(await hub.alerts.get(`${AlertRule.SyncFailed}:eu-1`)).toMatchObject({ status: 'resolved' });
  });
});

const alertmanagerBinary = await findAlertmanager();

const skipReason = alertmanagerBinary ? '' : ' (skipped: no prometheus-alertmanager binary; apt-get install prometheus-alertmanager)';

describe.skipIf(!alertmanagerBinary)(`when alerts go to a real Alertmanager${skipReason}`, () => {
  const space = testKeySpace('alertmanager');
  let hub: Hub;
  let sender: TestSender;
  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>>;
  let credentials: Credentials;

  const activeAlerts = async () => {
    const response = await fetch(`${alertmanager.url}/api/v2/alerts?filter=cluster%3D%22am-1%22`);
    return (await response.json()) as Array<{ labels: Record<string, string>; status: { state: string }; endsAt: string }>;
  };

  beforeAll(async () => {
    alertmanager = await startAlertmanager(alertmanagerBinary!);
    hub = testHub(space, { sweeper: false, sinks: [{ type: 'alertmanager', name: 'am', url: alertmanager.url }] });
    await hub.start();
    sender = new TestSender(space);
    credentials = await registerCluster(hub, 'am-1', 'us');
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await alertmanager.stop();
    await space.cleanup();
  });

  it('shows drift as an active alert with our labels, and clears it on resolve', async () => {
    await sender.send(credentials, report('am-1', 1, ReportKind.Drift, { revision: 'abc', items: [driftItem('main')] }));
    const [active] = await eventually(async () => {
      const alerts = await activeAlerts();
      expect(alerts).toHaveLength(1);
      return alerts;
    });
    expect(active!.labels).toMatchObject({ alertname: AlertRule.DriftDetected, cluster: 'am-1', region: 'us', severity: 'warning' });
    expect(active!.status.state).toBe('active');
    expect(Date.parse(active!.endsAt)).toBeGreaterThan(Date.now());
    await sender.send(credentials, report('am-1', 2, ReportKind.Drift, { revision: 'abc', items: [] }));
    await eventually(async () => expect(await activeAlerts()).toHaveLength(0));
    const deliveries = (await hub.redis.lrange(hub.keys.deliveries(), 0, -1)).map((line) => JSON.parse(line));
    expect(deliveries.map((record) => `${record.status}:${record.result}:${record.httpStatus}`).reverse()).toEqual(['firing:delivered:200', 'resolved:delivered:200']);
  });
});
