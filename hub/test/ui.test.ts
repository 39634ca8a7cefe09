import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ReportKind } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
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
});
