/**
 * `pnpm bench:ui`: the dashboard's Fleet page with 10,000 clusters, in Debian's Chromium
 * (`/usr/bin/chromium`) against a hub on the machine's Redis (127.0.0.1:6379 or
 * NETFLEET_REDIS_URL), each figure beside a baseline measured in the same run:
 *
 * 1. Load: from "Sign in" to the first clusters shown (target < 1 s; the page shows each page
 *    of the list as it arrives) and to every cluster listed, against the baseline of node
 *    fetching the same pages of the cluster list from the same API.
 * 2. Scroll: jumping to the end of the list until its last cluster shows, and how many rows
 *    the page holds meanwhile (virtualised: a screenful, not 10,000).
 *
 * Options (env): BENCH_UI_CLUSTERS (default 10000), BENCH_UI_RUNS (5; the median is printed).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import type { BrowserType } from '../test/node_modules/playwright-core/index.js';
import { Hub } from '../hub/src/index.js';
import { createLogger } from '../shared/src/index.js';
import { deleteKeysWithPrefix } from '../test/src/redis.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../test/src/chromium.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTERS = Number(process.env.BENCH_UI_CLUSTERS ?? 10_000);
const RUNS = Number(process.env.BENCH_UI_RUNS ?? 5);
const READER = `bench-reader-${randomBytes(8).toString('hex')}`;
const REGIONS = ['eu', 'us', 'ap', 'sa', 'af'];

const missing = chromiumMissing();
if (missing) {
  console.error(`cannot run the dashboard benchmark: ${missing}`);
  process.exit(1);
}

// The package's ES module entry (its CommonJS one hides the names from an ESM import); the types are its own.
const PLAYWRIGHT = '../test/node_modules/playwright-core/index.mjs';
const { chromium } = (await import(PLAYWRIGHT)) as { chromium: BrowserType };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const prefix = `{nf-bench-ui-${randomBytes(4).toString('hex')}}`;
const hub = new Hub({ redisUrl: REDIS_URL, prefix, secret: randomBytes(32).toString('hex'), readTokens: [READER], sweeper: false, rollouts: false, logger: createLogger({ name: 'bench', level: 'warn' }) });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  await hub.start();
  const api = await hub.api();
  await api.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 3600, maxUses: CLUSTERS });
  for (let start = 0; start < CLUSTERS; start += 200) {
    await Promise.all(Array.from({ length: Math.min(200, CLUSTERS - start) }, (_, offset) => start + offset).map((index) => hub.registry.register(bootstrap.token, {
      cluster: `c-${String(index).padStart(5, '0')}`, region: REGIONS[index % REGIONS.length]!, labels: { tier: index % 3 === 0 ? 'prod' : 'dev' },
    })));
  }

  const fetchAll = async () => {
    let cursor: string | null = null;
    let count = 0;
    do {
      const response = await fetch(`${base}/api/v1/clusters?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${READER}` } });
      const page = await response.json() as { items: unknown[]; nextCursor: string | null };
      count += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    if (count !== CLUSTERS) throw new Error(`the API listed ${count} clusters, expected ${CLUSTERS}`);
  };

  const baseline: number[] = [];
  const firstRows: number[] = [];
  const loads: number[] = [];
  const scrolls: number[] = [];
  let rows = 0;
  for (let run = 0; run < RUNS; run += 1) {
    let started = performance.now();
    await fetchAll();
    baseline.push(performance.now() - started);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Hub API token').fill(READER);
    started = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-cluster="c-00000"]').waitFor();
    firstRows.push(performance.now() - started);
    await page.getByText(`${CLUSTERS} of ${CLUSTERS} clusters`).waitFor({ timeout: 60_000 });
    loads.push(performance.now() - started);

    const last = `c-${String(CLUSTERS - 1).padStart(5, '0')}`;
    started = performance.now();
    await page.getByRole('list', { name: 'Clusters' }).evaluate((list) => list.scrollTo({ top: list.scrollHeight }));
    await page.locator(`[data-cluster="${last}"]`).waitFor();
    scrolls.push(performance.now() - started);
    rows = await page.locator('[data-cluster]').count();
    await page.close();
  }

  console.log(`dashboard Fleet page: ${CLUSTERS} clusters, median of ${RUNS} runs`);
  console.log(`  machine: ${availableParallelism()} cores, load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  console.log(`  baseline: node fetching the cluster list (${Math.ceil(CLUSTERS / 500)} pages) ${median(baseline).toFixed(0).padStart(6)} ms`);
  console.log(`  sign-in to the first clusters shown in Chromium          ${median(firstRows).toFixed(0).padStart(6)} ms (target < 1000 ms: ${median(firstRows) < 1000 ? 'met' : 'NOT met'})`);
  console.log(`  sign-in to every cluster listed (sortable, filterable)   ${median(loads).toFixed(0).padStart(6)} ms`);
  console.log(`  scroll to the last cluster                               ${median(scrolls).toFixed(0).padStart(6)} ms`);
  console.log(`  rows in the page while ${CLUSTERS} are listed: ${rows}`);
} finally {
  await browser.close();
  await hub.close();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
}
