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

  it('leaves out a stored body that is not a link report, and names its cluster', async () => {
    await hub.redis.hset(hub.keys.cluster('quiet'), 'links', JSON.stringify({ links: [{ peer: 'from an older agent' }] }));
    expect((await loadLinkReports(hub.redis, hub.keys)).invalid).toEqual(['quiet']);
  });
});
