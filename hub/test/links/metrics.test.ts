import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { linkTopology } from '../../src/links/expected-links.js';
import { FleetLinks } from '../../src/links/fleet-links.js';
import { registerLinkMetrics } from '../../src/links/metrics.js';

const names = ['eu-1', 'eu-2', 'us-1', 'us-2'];
const inventory = names.map((name) => ({ name, region: name.slice(0, 2), publicDomain: `${name}.example.com` }));

describe('when the fleet link metrics are scraped', () => {
  it('exports reported links by state and firing link alerts by type', async () => {
    const links = new FleetLinks(linkTopology([{ name: 'payments', type: 'federation', members: names }], inventory), { raiseAfterMs: 0, resolveAfterMs: 0 });
    const registry = new Registry();
    registerLinkMetrics(registry, links);
    const at = new Date('2026-11-26T12:00:00Z');
    for (const from of names) {
      const body = {
        links: names.filter((to) => to !== from).map((to): LinkObservation => {
          const state = from.startsWith('us') && to.startsWith('eu') ? LinkState.Unreachable : LinkState.Healthy;
          return {
            kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: '', peerDomain: `${to}.example.com`,
            state, reason: LinkReason.ExchangeSucceeded, message: '',
          };
        }),
      };
      links.ingest(from, body, at);
    }
    const text = await registry.metrics();
    expect(text).toContain('netfleet_hub_links{state="healthy"} 8');
    expect(text).toContain('netfleet_hub_links{state="unreachable"} 4');
    expect(text).toContain('netfleet_hub_link_alerts{type="partition"} 1');
    expect(text).not.toContain('netfleet_hub_link_alerts{type="asymmetric"}');
  });
});
