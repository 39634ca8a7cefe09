/**
 * The dashboard (issue 15) in a real browser: Debian's Chromium driven by playwright-core,
 * against a real hub on a real Redis. Sign-in, every page, a reader's and an admin's view of
 * the rollout controls, a drift arriving live, and axe-core's accessibility check.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, ReportKind, SyncReason, type Credentials, type ReportBody } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState, ProbeOutcome, emptyLinkSummary, type LinkObservation } from '@netfleet/shared/protocol/links';
import type { Hub } from '../../hub/src/index.js';
import { rolloutIdOf } from '../../hub/src/rollout/ids.js';
import {
  ADMIN_TOKEN, ALL_AT_ONCE_POLICY, READ_TOKEN, TestSender, driftItem, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from '../../hub/test/helpers.js';
import { eventually } from '../src/index.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../src/chromium.js';

const MISSING = chromiumMissing();
const CHROMIUM_SKIP = MISSING ? ` (skipped: ${MISSING})` : '';
/** Set to a folder to keep a screenshot of each page (docs/ui.md shows them). */
const SCREENSHOTS = process.env.NETFLEET_UI_SCREENSHOTS;

const REVISION = 'abcdef0123456789abcdef0123456789abcdef01';
const ROLLOUT = rolloutIdOf(REVISION);
const CLUSTERS = [
  { name: 'eu-1', region: 'eu', labels: { tier: 'prod' } },
  { name: 'eu-2', region: 'eu', labels: { tier: 'canary' } },
  { name: 'us-1', region: 'us', labels: { tier: 'prod' } },
];

describe.skipIf(MISSING !== undefined)(`the dashboard in Chromium${CHROMIUM_SKIP}`, () => {
  const space = testKeySpace('dashboard');
  let hub: Hub;
  let base: string;
  let browser: Browser;
  let sender: TestSender;
  const credentials = new Map<string, Credentials>();
  const seqs = new Map<string, number>();
  const send = <K extends ReportKind>(cluster: string, kind: K, body: ReportBody<K>) => {
    const seq = (seqs.get(cluster) ?? 0) + 1;
    seqs.set(cluster, seq);
    return sender.send(credentials.get(cluster)!, report(cluster, seq, kind, body));
  };
  /** `from` reports its federation links: stale towards `staleTo`, healthy towards the others. */
  const reportLinks = (from: string, staleTo: readonly string[]) => send(from, ReportKind.Link, {
    links: CLUSTERS.filter((to) => to.name !== from).map(({ name: to }): LinkObservation => {
      const stale = staleTo.includes(to);
      return {
        kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
        state: stale ? LinkState.Stale : LinkState.Healthy, reason: stale ? LinkReason.PublicMetadataStale : LinkReason.ExchangeSucceeded, message: stale ? 'public metadata is stale' : 'healthy',
        // Hours ago, so the page shows the same wording however long a busy machine takes to get there.
        lastExchangeAt: new Date(Date.now() - (stale ? 3_600_000 : 2 * 3_600_000)).toISOString(),
        // Stale links were probed (the peer's certificate read); the others not yet.
        ...(stale ? { probe: { url: `https://istio.${to}.example.com/metadata/public/public.json`, outcome: ProbeOutcome.Ok, probedAt: new Date().toISOString(), latencyMs: 12, certificateDaysLeft: 45 } } : {}),
      };
    }),
  });

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false });
    hub.linkHealth.setFleet({
      meshGroups: [{ name: 'mesh', type: 'federation', members: CLUSTERS.map(({ name }) => name) }],
      clusters: new Map(CLUSTERS.map(({ name, region }) => [name, { name, region, publicDomain: `${name}.example.com` }])),
    }, 'rev-1');
    await hub.start();
    const api = await hub.api();
    await api.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    sender = new TestSender(space);
    for (const cluster of CLUSTERS) {
      credentials.set(cluster.name, await registerCluster(hub, cluster.name, cluster.region, cluster.labels));
      await send(cluster.name, ReportKind.Heartbeat, heartbeatBody('1111aaaa'));
    }
    await eventually(async () => expect((await hub.fleet.list({ limit: 10 })).items.every((cluster) => cluster.state === 'online')).toBe(true));
    // eu-1's last syncs: one from an agent that predates durations, then one with its duration and changes.
    const changes = (action: Action, ...names: string[]) => names.map((name) => ({ subject: { group: '', kind: 'ConfigMap', namespace: 'netfleet', name }, action }));
    await send('eu-1', ReportKind.Sync, syncBody('1111aaaa', SyncReason.ApplyFailed));
    await send('eu-1', ReportKind.Sync, {
      ...syncBody('1111aaaa'), durationMs: 1840,
      changes: [...changes(Action.Created, 'a', 'b'), ...changes(Action.Configured, 'c'), ...changes(Action.Deleted, 'd'), ...changes(Action.Unchanged, 'e')],
    });
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.sync?.durationMs).toBe(1840));
    // us-1's agent counts its two links stale (as the links test reports them).
    await send('us-1', ReportKind.Heartbeat, { ...heartbeatBody('1111aaaa'), links: { total: 2, byState: { ...emptyLinkSummary().byState, stale: 2 } } });
    await eventually(async () => expect((await hub.fleet.detail('us-1'))?.links?.total).toBe(2));
    await hub.rollouts.heads.publish({ revision: REVISION, policy: ALL_AT_ONCE_POLICY, seenAt: Date.now() });
    await hub.rollouts.controller.tick();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await sender?.close();
    await hub?.close();
    await space.cleanup();
  });

  /** A fresh tab (nothing in memory) signed in with `token`. */
  async function signedIn(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${base}/ui/`);
    await page.getByLabel('Hub API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    // A CSP refusal or a failing script shows up as a console error.
    expect(problems).toEqual([]);
    return page;
  }

  /** axe-core's findings on the page as it is, serious and critical ones only. */
  async function seriousViolations(page: Page): Promise<string[]> {
    // Evaluated through the debugging protocol, which the page's CSP does not govern.
    await page.evaluate(axe.source);
    const result = await page.evaluate(() => (globalThis as unknown as { axe: typeof axe }).axe.run());
    return result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
  }

  async function visit(page: Page, hash: string, heading: string, screenshot: string): Promise<void> {
    // A hash change keeps the tab (and the token in its memory): navigate inside the page.
    await page.evaluate((target) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = target;
    }, hash);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`), fullPage: true });
  }

  it('refuses a wrong token with a message that says what to use', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Hub API token').fill('not-a-token-of-this-hub-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Sign-in failed: a valid bearer token is required.*admin or read-only hub API token/);
    await page.close();
  });

  it('shows a stale link in its mesh group\'s matrix and the partition on top', async () => {
    // us-1 and the eu clusters no longer exchange metadata: region us is cut off.
    await reportLinks('eu-1', ['us-1']);
    await reportLinks('eu-2', ['us-1']);
    await reportLinks('us-1', ['eu-1', 'eu-2']);
    await eventually(() => expect(hub.linkHealth.links.view({}).partitions.length).toBeGreaterThan(0));
    const page = await signedIn(READ_TOKEN);
    await visit(page, '/links', 'Links', 'links');
    const banner = page.locator('.banner').first();
    expect(await banner.textContent()).toBe(hub.linkHealth.links.view({}).partitions[0]!.message);
    const cell = page.locator('[data-link="eu-1>us-1"]');
    expect(await cell.getAttribute('aria-label')).toBe('eu-1 to us-1: stale');
    expect(await cell.textContent()).toBe('S');
    expect(await page.locator('[data-link="eu-1>eu-2"]').textContent()).toBe('✓');
    await cell.click();
    const selected = page.getByRole('complementary', { name: 'Selected link' });
    expect(await selected.textContent()).toContain('stale');
    expect(await selected.textContent()).toContain('Probeok, 12 ms');
    expect(await selected.textContent()).toContain('Certificate45 days left');
    // Since when it fails (the hub's clock: since this test reported it) and DKP's last exchange, from the link's own report.
    await eventually(async () => expect(await selected.textContent()).toContain('Last metadata exchange1 h ago'));
    expect(await selected.textContent()).toMatch(/Failing since\d+ s ago/);
    // A link no probe has read a certificate of says so, rather than nothing.
    await page.locator('[data-link="eu-1>eu-2"]').click();
    await selected.getByRole('heading', { name: 'eu-1 → eu-2' }).waitFor();
    await eventually(async () => expect(await selected.textContent()).toContain('Last metadata exchange2 h ago'));
    expect(await selected.textContent()).toContain('Failing sincenot failing');
    expect(await selected.textContent()).toContain('Certificateunknown (no probe of this link has read a certificate)');
    await cell.click();
    await eventually(async () => expect(await selected.textContent()).toContain('Last metadata exchange1 h ago'));
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'links.png'), fullPage: true });
    await page.close();
  });

  it('shows a reader every page read-only, and the hub refuses the reader a control with 403', async () => {
    const page = await signedIn(READ_TOKEN);
    await page.getByText('3 of 3 clusters').waitFor();
    // Each row: the last sync with its reason, and the links that fail.
    expect(await page.locator('[data-cluster="eu-1"] .sync').textContent()).toBe('succeeded (Succeeded)');
    // The rollout assigned REVISION, which no agent applied yet.
    expect(await page.locator('[data-cluster="eu-1"] .revision').textContent()).toBe(`1111aaaa → ${REVISION.slice(0, 10)}`);
    expect(await page.locator('[data-cluster="us-1"] .links').textContent()).toBe('2 of 2 failing');
    expect(await page.locator('[data-cluster="eu-2"] .links').textContent()).toBe('—');
    await page.getByLabel('Region', { exact: true }).selectOption('us');
    await page.getByText('1 of 3 clusters').waitFor();
    await page.getByLabel('Region', { exact: true }).selectOption('');
    await page.getByLabel('Label', { exact: true }).fill('tier=prod');
    await page.getByText('2 of 3 clusters').waitFor();
    await page.getByLabel('Label', { exact: true }).fill('');
    expect(await seriousViolations(page)).toEqual([]);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'fleet.png') });

    await page.locator('[data-cluster="eu-2"]').click();
    await page.getByRole('heading', { name: 'Cluster eu-2' }).waitFor();
    expect(await page.getByText(`Rollout ${ROLLOUT} (`).textContent()).toMatch(/wave 1 of 1, all \(\w+\); this cluster \w+/);
    await visit(page, '/alerts', 'Alerts', 'alerts');
    await visit(page, '/rollouts', 'Rollouts', 'rollouts');
    await page.getByRole('link', { name: ROLLOUT }).click();
    await page.getByRole('heading', { name: `Rollout ${ROLLOUT}` }).waitFor();
    expect(await page.getByRole('group', { name: 'Rollout controls' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'pause' }).count()).toBe(0);

    const status = await page.evaluate(async ([url, token]) => (await fetch(url!, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status, [`/api/v1/rollouts/${ROLLOUT}/pause`, READ_TOKEN]);
    expect(status).toBe(403);
    expect((await hub.rollouts.store.get(ROLLOUT))!.phase).not.toBe('paused');
    await page.close();
  });

  it('lets an admin pause and resume the rollout, each after a confirmation that says what happens', async () => {
    const page = await signedIn(ADMIN_TOKEN);
    await visit(page, `/rollouts/${ROLLOUT}`, `Rollout ${ROLLOUT}`, 'rollout');
    const phase = page.locator('[data-phase]');
    const before = await phase.textContent();

    await page.getByRole('button', { name: 'pause', exact: true }).click();
    expect(await page.getByRole('alertdialog').textContent()).toContain(`Pause rollout ${ROLLOUT}: no further cluster is given revision`);
    await page.getByRole('button', { name: 'Confirm pause' }).click();
    await page.locator('[data-phase="paused"]').waitFor();
    expect((await hub.rollouts.store.get(ROLLOUT))!.phase).toBe('paused');

    await page.getByRole('button', { name: 'resume', exact: true }).click();
    expect(await page.getByRole('alertdialog').textContent()).toContain(`Resume rollout ${ROLLOUT}`);
    await page.getByRole('button', { name: 'Confirm resume' }).click();
    await page.locator(`[data-phase="${before}"]`).waitFor();
    expect((await hub.rollouts.store.get(ROLLOUT))!.phase).toBe(before);
    await page.close();
  });

  it('shows a drift on the cluster page within 2 s of its report, without a reload', async () => {
    const page = await signedIn(READ_TOKEN);
    await page.locator('[data-cluster="eu-1"]').click();
    await page.getByRole('heading', { name: 'Cluster eu-1' }).waitFor();
    // The last syncs, newest first: reason, duration (unknown from the older agent), created/updated/pruned.
    const syncRows = page.locator('table.syncs tbody tr');
    await syncRows.first().waitFor();
    expect(await syncRows.count()).toBe(2);
    expect((await syncRows.nth(0).locator('td').allTextContents()).slice(1)).toEqual(['1111aaaa', 'succeeded (Succeeded)', '1.8 s', '2', '1', '1']);
    expect((await syncRows.nth(1).locator('td').allTextContents()).slice(1)).toEqual(['1111aaaa', 'failed-transient (ApplyFailed)', 'unknown', '0', '0', '0']);
    // Its links both ways: out as it reports them, in as its peers report them.
    const linksIn = await page.locator('h2:has-text("Links in") + table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, 3).map((cell) => cell.textContent)));
    expect(linksIn).toEqual([['federation eu-1', 'eu-2', 'healthy'], ['federation eu-1', 'us-1', 'stale — public metadata is stale']]);
    expect(await page.locator('h2:has-text("Links out") + table tbody tr').count()).toBe(2);
    await page.getByText('live ·').waitFor();
    expect(await page.locator('[data-drift]').count()).toBe(0);
    const sent = Date.now();
    await send('eu-1', ReportKind.Drift, { revision: '1111aaaa', items: [driftItem('main')] });
    await page.locator('[data-drift]').waitFor({ timeout: 10_000 });
    const shownAfterMs = Date.now() - sent;
    expect(await page.locator('[data-drift] .live').first().textContent()).toBe('5');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'cluster.png'), fullPage: true });
    expect(shownAfterMs).toBeLessThan(2_000);
    await page.close();
  });
});
