/**
 * deploy/monitoring's alert rules and Grafana dashboard use only what the agent and the hub
 * really export: a `netfleet agent` and a `netfleet hub` run here as processes, and every
 * metric, label and exact label value the expressions select must be in their /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { eventually, freePort, startKubeApiServer, startRedis, type KubeApiServer, type PrivateRedis } from '@netfleet/test';
import { exposedSeries, missingUses, promqlSelectors, type Exposed } from '@netfleet/test/metric-uses';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(import.meta.dirname, '..', 'bin', 'netfleet.js');
const MONITORING = join(ROOT, 'deploy', 'monitoring');

interface Rule { alert?: string; record?: string; expr: string }
interface PrometheusRule { spec: { groups: Array<{ name: string; rules: Rule[] }> } }
interface Panel { title: string; type: string; targets?: Array<{ expr: string }>; panels?: Panel[] }

async function rulesOf(component: 'agent' | 'hub'): Promise<Rule[]> {
  const rule = parse(await readFile(join(MONITORING, component, 'rules.yaml'), 'utf8')) as PrometheusRule;
  return rule.spec.groups.flatMap((group) => group.rules);
}

async function dashboardExpressions(): Promise<Array<{ panel: string; expr: string }>> {
  const dashboard = JSON.parse(await readFile(join(MONITORING, 'hub', 'netfleet-dashboard.json'), 'utf8')) as { panels: Panel[] };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  return panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
}

const children: ChildProcess[] = [];
function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function metricsOnceReady(child: ChildProcess, port: number): Promise<string> {
  await eventually(async () => {
    expect(child.exitCode, `${child.spawnargs[2]} exited`).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

let kube: KubeApiServer;
let redis: PrivateRedis;
let dir: string;
let agent: Exposed;
let hub: Exposed;

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds();
  await new KubeClient({ kubeConfig: kube.kubeConfig() }).apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-system' } }, { force: false });
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'netfleet-monitoring-'));
  await cp(join(ROOT, 'examples', 'fleet'), join(dir, 'fleet'), { recursive: true });
  await writeFile(join(dir, 'secret'), 'monitoring-test-hub-secret-0123456789abcdef\n', { mode: 0o600 });
  await writeFile(join(dir, 'admin-tokens'), 'monitoring-test-admin-token-0123456789\n', { mode: 0o600 });
  await writeFile(join(dir, 'read-tokens'), 'monitoring-test-read-token-0123456789\n', { mode: 0o600 });
  const [agentPort, hubPort] = [await freePort(), await freePort()];
  const agentProcess = start(['agent', '--repo', join(dir, 'fleet'), '--cluster', 'eu-fra-1', '--kubeconfig', kube.kubeconfigPath, '--namespace', 'netfleet-system',
    '--listen', `127.0.0.1:${agentPort}`, '--interval', '5']);
  const hubProcess = start(['hub', '--redis-url', redis.url, '--listen', `127.0.0.1:${hubPort}`, '--secret-file', join(dir, 'secret'),
    '--admin-tokens-file', join(dir, 'admin-tokens'), '--read-tokens-file', join(dir, 'read-tokens'), '--log-level', 'warn']);
  [agent, hub] = [exposedSeries(await metricsOnceReady(agentProcess, agentPort)), exposedSeries(await metricsOnceReady(hubProcess, hubPort))];
}, 120_000);

afterAll(async () => {
  // SIGTERM lets both finish their step; one that has not exited 15 s later is killed.
  await Promise.all(children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => resolve(clearTimeout(kill)));
    child.kill('SIGTERM');
  })));
  await kube?.stop();
  await redis?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the PrometheusRules of deploy/monitoring', () => {
  it('alert on the agent with only metrics, labels and values a running agent exports', async () => {
    const rules = await rulesOf('agent');
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(['NetfleetAgentNotSyncing', 'NetfleetDriftPresent', 'NetfleetAgentDown']));
    expect(rules.map((rule) => ({ alert: rule.alert, missing: missingUses(rule.expr, agent) }))).toEqual(rules.map((rule) => ({ alert: rule.alert, missing: [] })));
  });

  it('alert on the hub and the fleet with only metrics, labels and values a running hub exports', async () => {
    const rules = await rulesOf('hub');
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(['NetfleetHubIngestBacklog', 'NetfleetHubRedisDown', 'NetfleetAgentOffline']));
    expect(rules.map((rule) => ({ alert: rule.alert, missing: missingUses(rule.expr, hub) }))).toEqual(rules.map((rule) => ({ alert: rule.alert, missing: [] })));
  });
});

describe('the Grafana dashboard of deploy/monitoring', () => {
  it('charts only metrics, labels and values the agent or the hub exports, and every metric either exports', async () => {
    const both: Exposed = new Map([...agent, ...hub]);
    const expressions = await dashboardExpressions();
    expect(expressions.map(({ panel, expr }) => ({ panel, missing: missingUses(expr, both) }))).toEqual(expressions.map(({ panel }) => ({ panel, missing: [] })));
    // netfleet's own metrics all have a panel (the Node.js process metrics only some).
    const charted = new Set(expressions.flatMap(({ expr }) => promqlSelectors(expr.replace(/\$__rate_interval/g, '5m')).map((selector) => selector.metric.replace(/_(bucket|sum|count)$/, ''))));
    const own = [...both.keys()].filter((name) => /^netfleet_/.test(name) && !/^netfleet_hub_(process|nodejs)_/.test(name)).map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    expect([...new Set(own)].filter((name) => !charted.has(name))).toEqual([]);
  });
});

describe('the check itself', () => {
  it('names a misspelt metric, a label the metric lacks (matched or grouped by), an unseen value and a syntax error', () => {
    expect(missingUses('rate(netfleet_sync_total[5m])', agent)).toEqual(['netfleet_sync_total is not exposed']);
    expect(missingUses('netfleet_hub_clusters{status="offline"}', hub)[0]).toMatch(/^netfleet_hub_clusters has no label status \(its labels: state\)$/);
    expect(missingUses('netfleet_hub_clusters{state="gone"}', hub)[0]).toMatch(/no series has that value \(seen: .*offline/);
    expect(missingUses('netfleet_hub_redis_up{pod="hub-0"}', hub)).toEqual([]);
    expect(missingUses('sum by (status) (netfleet_hub_clusters)', hub)).toEqual(['by (status): netfleet_hub_clusters has no label status (its labels: state)']);
    expect(missingUses('max(sum by (pod, le) (rate(netfleet_hub_ingest_duration_seconds_bucket[5m])))', hub)).toEqual([]);
    expect(() => missingUses('sum(netfleet_hub_redis_up', hub)).toThrow(/syntax error/);
  });
});
