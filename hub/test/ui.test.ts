import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ReportKind, signReport } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { uiSourcesNewerThanBuild } from '../src/api/ui-dir.js';
import { reportJob } from '../src/ingest/report-job.js';
import { READ_TOKEN, TestSender, heartbeatBody, registerCluster, report, testHub, testKeySpace } from './helpers.js';

/** Reads server-sent events from `stream` until one named `event` arrives; its data, parsed. */
function nextEvent(stream: Readable, event: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const block = buffer.split('\n\n').find((part) => part.startsWith(`event: ${event}\n`));
      if (!block) return;
      stream.off('data', onData);
      resolve(JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

describe('the dashboard the hub serves at /ui/', () => {
  const space = testKeySpace('ui');
  let hub: Hub;
  let uiDir: string;
  const hubs: Hub[] = [];
  /** The API of a hub serving the dashboard from `dir`. */
  async function apiServing(dir: string) {
    const served = testHub(space, { sweeper: false, rollouts: false, ingest: false, uiDir: dir });
    hubs.push(served);
    return served.api();
  }

  beforeAll(async () => {
    // A built dashboard of its own: the test does not depend on `pnpm build` having run.
    uiDir = await mkdtemp(join(tmpdir(), 'netfleet-ui-'));
    await mkdir(join(uiDir, 'assets'));
    await writeFile(join(uiDir, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/app-1a2b3c.js"></script>');
    await writeFile(join(uiDir, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
    hub = testHub(space, { sweeper: false, rollouts: false, uiDir });
    await hub.start();
  });

  afterAll(async () => {
    await hub.close();
    for (const served of hubs) await served.close();
    await rm(uiDir, { recursive: true, force: true });
    await space.cleanup();
  });

  it('serves the page revalidated each load and hashed assets cached for a year, both under a CSP without inline code', async () => {
    const api = await hub.api();
    const page = await api.inject({ url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const asset = await api.inject({ url: '/ui/assets/app-1a2b3c.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    expect((await api.inject({ url: '/ui/assets/../../etc/passwd' })).statusCode).toBe(404);
    expect((await api.inject({ url: '/ui' })).headers.location).toBe('/ui/');
  });

  it('says how to build the dashboard when the hub has none', async () => {
    const api = await apiServing(join(uiDir, 'none-such'));
    const page = await api.inject({ url: '/ui/' });
    expect(page.statusCode).toBe(404);
    expect(page.json().error.hint).toContain('pnpm build');
  });

  it('streams a change to a dashboard when a report of a cluster is applied', async () => {
    const api = await hub.api();
    const credentials = await registerCluster(hub, 'live-1', 'eu');
    const response = await api.inject({ url: '/api/v1/live', headers: { authorization: `Bearer ${READ_TOKEN}` }, payloadAsStream: true });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const stream = response.stream();
    const change = nextEvent(stream, 'change');
    const sender = new TestSender(space);
    try {
      await sender.send(credentials, report('live-1', 1, ReportKind.Heartbeat, heartbeatBody('rev1', 1)));
      expect(await change).toEqual({ clusters: ['live-1'], rollouts: [] });
    } finally {
      stream.destroy();
      await sender.close();
    }
  });

  it('streams one change naming every cluster whose reports one ingest job applied', async () => {
    const api = await hub.api();
    const fleet = await Promise.all(['live-2', 'live-3'].map((name) => registerCluster(hub, name, 'eu')));
    const response = await api.inject({ url: '/api/v1/live', headers: { authorization: `Bearer ${READ_TOKEN}` }, payloadAsStream: true });
    const stream = response.stream();
    const change = nextEvent(stream, 'change');
    const sender = new TestSender(space);
    try {
      // As the API queues the requests of one commit window: one job, one notice for both clusters.
      const job = reportJob(fleet.map((credentials) => ({
        sender: credentials.cluster,
        reports: [JSON.stringify(signReport(report(credentials.cluster, 1, ReportKind.Heartbeat, heartbeatBody('rev1')), credentials.reportKey))],
      })));
      await sender.queue.add(job.name, job.data, job.opts);
      const { clusters, rollouts } = await change as { clusters: string[]; rollouts: string[] };
      expect({ clusters: [...clusters].sort(), rollouts }).toEqual({ clusters: ['live-2', 'live-3'], rollouts: [] });
    } finally {
      stream.destroy();
      await sender.close();
    }
  });
});

describe('a dashboard build older than its sources', () => {
  let root: string;
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

  beforeAll(async () => {
    // A checkout of its own: ui/dist built at 10 s from ui/src/main.tsx and ui/index.html.
    root = await mkdtemp(join(tmpdir(), 'netfleet-ui-stale-'));
    await mkdir(join(root, 'ui/dist'), { recursive: true });
    await mkdir(join(root, 'ui/src'), { recursive: true });
    await writeFile(join(root, 'ui/src/main.tsx'), 'export {};\n');
    await writeFile(join(root, 'ui/index.html'), '<!doctype html>\n');
    await writeFile(join(root, 'ui/dist/index.html'), '<!doctype html>\n');
    await writeFile(join(root, 'ui/dist/sources.json'), JSON.stringify(['ui/index.html', 'ui/src/main.tsx', 'ui/src/gone.ts']));
    for (const file of ['ui/src/main.tsx', 'ui/index.html']) await utimes(join(root, file), at(0), at(0));
    await utimes(join(root, 'ui/dist/index.html'), at(10), at(10));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names the sources edited since it was built, and none while it is fresh', async () => {
    expect(uiSourcesNewerThanBuild(join(root, 'ui/dist'))).toEqual([]);
    await utimes(join(root, 'ui/src/main.tsx'), at(20), at(20));
    expect(uiSourcesNewerThanBuild(join(root, 'ui/dist'))).toEqual(['ui/src/main.tsx']);
  });

  it('names none for a build that lists no sources', async () => {
    await rm(join(root, 'ui/dist/sources.json'));
    expect(uiSourcesNewerThanBuild(join(root, 'ui/dist'))).toEqual([]);
  });
});
