import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportKind, type Credentials } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import type { Hub } from '../../src/index.js';
import { linkTopology } from '../../src/links/expected-links.js';
import { FleetLinks } from '../../src/links/fleet-links.js';
import { loadLinkReports } from '../../src/links/restore.js';
import { TestSender, eventually, registerCluster, report, testHub, testKeySpace } from '../helpers.js';

/** Link reports through the real ingest (BullMQ, Redis), read back to rebuild the matrix. */

const space = testKeySpace('links-restore');
const names = ['eu-1', 'us-1', 'ap-1'];
let hub: Hub;
let sender: TestSender;
const credentials = new Map<string, Credentials>();

function linksOf(from: string): LinkObservation[] {
  return names.filter((to) => to !== from).map((to) => {
    const state = from === 'ap-1' && to === 'eu-1' ? LinkState.OneSided : LinkState.Healthy;
    return {
      kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`,
      peerDomain: `${to}.example.com`, state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.PrivateMetadataRefused,
      message: state,
    };
  });
}

beforeAll(async () => {
  hub = testHub(space, { sweeper: false });
  await hub.start();
  sender = new TestSender(space);
  for (const name of names) credentials.set(name, await registerCluster(hub, name, name.slice(0, 2)));
  await registerCluster(hub, 'quiet', 'eu');
});

afterAll(async () => {
  await sender.close();
  await hub.close();
  await space.cleanup();
});

describe('when a hub starts after agents sent link reports', () => {
  it('rebuilds the matrix from the reports the ingest stored', async () => {
    for (const name of names) {
      await sender.send(credentials.get(name)!, report(name, 1, ReportKind.Link, { links: linksOf(name) }));
    }
    await eventually(async () => expect((await loadLinkReports(hub.redis, hub.keys)).reports.size).toBe(3));

    const { reports, invalid } = await loadLinkReports(hub.redis, hub.keys);
    expect(invalid).toEqual([]);
    const inventory = names.map((name) => ({ name, region: name.slice(0, 2), publicDomain: `${name}.example.com` }));
    const links = new FleetLinks(linkTopology([{ name: 'payments', type: 'federation', members: names }], inventory));
    links.ingestAll(reports, new Date());
    const payments = links.view().groups[0]!;
    expect(payments.counts).toMatchObject({ healthy: 5, 'one-sided': 1, unknown: 0 });
    expect(payments.findings.map((finding) => finding.id)).toEqual(['link:payments:ap-1:eu-1']);
  });

  it('keeps since when each link fails, in the hub clock, across reports and out-of-order arrivals', async () => {
    const eu = credentials.get('eu-1')!;
    const failing = (peers: string[]) => ({ links: linksOf('eu-1').map((link) => (peers.includes(link.name) ? { ...link, state: LinkState.Unreachable } : link)) });
    const sinceOf = async () => (await loadLinkReports(hub.redis, hub.keys, ['eu-1'])).failingSince.get('eu-1');
    const before = Date.now();
    await sender.send(eu, report('eu-1', 10, ReportKind.Link, failing(['us-1'])));
    const first = await eventually(async () => {
      const since = await sinceOf();
      expect(Object.keys(since ?? {})).toEqual(['federation/us-1']);
      return since!['federation/us-1']!;
    });
    expect(first).toBeGreaterThanOrEqual(before);

    // us-1 still fails and ap-1 starts failing: us-1 keeps its time, ap-1 gets a later one.
    await eventually(() => Date.now() > first);
    await sender.send(eu, report('eu-1', 12, ReportKind.Link, failing(['us-1', 'ap-1'])));
    const second = await eventually(async () => {
      const since = await sinceOf();
      expect(Object.keys(since ?? {}).sort()).toEqual(['federation/ap-1', 'federation/us-1']);
      return since!;
    });
    expect(second['federation/us-1']).toBe(first);
    expect(second['federation/ap-1']).toBeGreaterThan(first);

    // us-1 recovering drops it.
    await sender.send(eu, report('eu-1', 13, ReportKind.Link, failing(['ap-1'])));
    await eventually(async () => expect(await sinceOf()).toEqual({ 'federation/ap-1': second['federation/ap-1'] }));
    // A late report (seq 11, sent after 13: every link healthy) is taken in but rolls nothing back.
    const reports = (await hub.fleet.detail('eu-1'))!.reports;
    await sender.send(eu, report('eu-1', 11, ReportKind.Link, failing([])));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.reports).toBe(reports + 1));
    expect(await sinceOf()).toEqual({ 'federation/ap-1': second['federation/ap-1'] });
    await sender.send(eu, report('eu-1', 14, ReportKind.Link, failing([])));
    await eventually(async () => expect(await sinceOf()).toEqual({}));
  });

  it('forgets the links of a revoked cluster on the next pass', async () => {
    const gone = await registerCluster(hub, 'gone', 'us');
    await sender.send(gone, report('gone', 1, ReportKind.Link, { links: linksOf('ap-1').map((link) => ({ ...link, state: LinkState.Unreachable })) }));
    await eventually(async () => {
      await hub.linkHealth.pass();
      expect(hub.linkHealth.links.linkFailures('gone')).toHaveLength(2);
    });
    await hub.registry.revoke('gone');
    await hub.linkHealth.pass();
    expect(hub.linkHealth.links.linkFailures('gone')).toEqual([]);
    expect(hub.linkHealth.links.countsByState().unreachable).toBe(0);
  });

  it('leaves out a stored body that is not a link report, and names its cluster', async () => {
    await hub.redis.hset(hub.keys.cluster('quiet'), 'links', JSON.stringify({ links: [{ peer: 'from an older agent' }] }));
    expect((await loadLinkReports(hub.redis, hub.keys)).invalid).toEqual(['quiet']);
  });
});
