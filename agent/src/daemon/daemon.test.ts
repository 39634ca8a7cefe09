import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { eventually, startCluster } from '../../test/harness.js';
import { EXAMPLE_FLEET, daemonFor } from '../../test/fleet.js';
import type { SyncResult } from '../reconcile/result.js';
import type { AgentDaemon } from './daemon.js';
import { directoryFleetSource } from './sources.js';

let kube: KubeApiServer;
let dir: string;
let daemon: AgentDaemon;
let fetches = 0;
const synced: SyncResult[] = [];

beforeAll(async () => {
  kube = await startCluster();
  dir = await mkdtemp(join(tmpdir(), 'netfleet-fleet-'));
  await cp(EXAMPLE_FLEET, dir, { recursive: true });
  const source = directoryFleetSource(dir);
  // Counts fetches, so a test can stop the daemon while a sync is in progress.
  const fetch = source.fetch;
  source.fetch = (signal) => {
    fetches += 1;
    return fetch(signal);
  };
  daemon = await daemonFor(kube, source, { interval: 1, retryInterval: 1 }, { serveHttp: true });
  daemon.events.on('synced', (result) => synced.push(result));
  await daemon.start();
}, 60_000);
afterAll(async () => {
  await daemon?.stop();
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

const probe = (path: string) => fetch(`${daemon.httpAddress}${path}`);

describe('the daemon', () => {
  it('answers /healthz at once and /readyz once a sync applied a revision', async () => {
    expect((await probe('/healthz')).status).toBe(200);
    await eventually(async () => expect((await probe('/readyz')).status).toBe(200));
    expect(synced[0]!.reason).toBe(SyncReason.Succeeded);
  });

  it('exports reconcile duration, objects by state, drift items, last sync time and git fetch duration', async () => {
    const text = await (await probe('/metrics')).text();
    expect(text).toMatch(/netfleet_reconcile_duration_seconds_count\{reason="Succeeded"\} [1-9]/);
    expect(text).toMatch(/netfleet_objects\{state="(created|unchanged)"\} [1-9]/);
    expect(text).toMatch(/netfleet_last_successful_sync_timestamp_seconds \d+/);
    expect(text).toContain('netfleet_drift_items');
    expect(text).toContain('netfleet_git_fetch_duration_seconds');
  });

  it('syncs a local directory again when it changes', async () => {
    const before = synced.length;
    const file = join(dir, 'network', 'ingress.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('proxy-body-size: 16m', 'proxy-body-size: 8m'));
    await eventually(() => expect(synced.length).toBeGreaterThan(before));
    const live = await daemon.client.get({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' });
    expect((live!.spec as { config: Record<string, string> }).config['proxy-body-size']).toBe('8m');
  });

  it('finishes the sync in progress when stopped, then closes its listener', async () => {
    kube.faults.latency(30);
    const file = join(dir, 'network', 'ingress.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('proxy-body-size: 8m', 'proxy-body-size: 4m'));
    const before = synced.length;
    const fetchesBefore = fetches;
    await eventually(() => expect(fetches).toBeGreaterThan(fetchesBefore), { intervalMs: 5 });
    const address = daemon.httpAddress;
    await daemon.stop();
    kube.faults.latency(0);
    expect(synced.length).toBe(before + 1);
    expect(synced.at(-1)!.reason).toBe(SyncReason.Succeeded);
    await expect(fetch(`${address}/healthz`)).rejects.toThrow();
  });
});
