import { Gauge, type Registry } from 'prom-client';
import type { FleetLinks } from './fleet-links.js';

/**
 * Fleet link health metrics, read from the link health when /metrics is scraped: links
 * reported by the agents, by state, those outside the reporter's mesh groups, and the link
 * alerts firing, by finding type (`partition` for partition findings).
 */
export function registerLinkMetrics(registry: Registry, links: Pick<FleetLinks, 'countsByState' | 'firing' | 'undeclaredLinkCount'>): void {
  new Gauge({
    name: 'netfleet_hub_links_undeclared', help: 'Links the agents report outside their mesh groups (left out of the link matrix)',
    registers: [registry],
    collect() {
      this.set(links.undeclaredLinkCount());
    },
  });
  new Gauge({
    name: 'netfleet_hub_links', help: 'Federation and multicluster links reported by the agents, by state',
    labelNames: ['state'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const [state, count] of Object.entries(links.countsByState())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'netfleet_hub_link_alerts', help: 'Link alerts firing, by finding type',
    labelNames: ['type'] as const, registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const finding of links.firing()) {
        const type = 'type' in finding ? finding.type : 'partition';
        counts.set(type, (counts.get(type) ?? 0) + 1);
      }
      for (const [type, count] of counts) this.set({ type }, count);
    },
  });
}
