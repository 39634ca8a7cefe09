import { Gauge, Histogram, type Registry } from 'prom-client';
import { LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';

/**
 * Link health metrics of one agent: links by kind and state, the probe latency per peer,
 * and the days left on each peer's metadata certificate. Registered on the agent's registry.
 */
export class LinkMetrics {
  readonly links: Gauge<'kind' | 'state'>;
  readonly probeLatency: Histogram<'peer'>;
  readonly certificateDaysLeft: Gauge<'peer'>;

  constructor(registry: Registry) {
    this.links = new Gauge({
      name: 'netfleet_links', help: 'Federation and multicluster links of this cluster, by kind and state',
      labelNames: ['kind', 'state'] as const, registers: [registry],
    });
    this.probeLatency = new Histogram({
      name: 'netfleet_link_probe_latency_seconds', help: 'Time to fetch a peer\'s public metadata, by peer domain',
      labelNames: ['peer'] as const, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
    });
    this.certificateDaysLeft = new Gauge({
      name: 'netfleet_link_certificate_days_left', help: 'Days until a peer\'s metadata endpoint certificate expires, by peer domain',
      labelNames: ['peer'] as const, registers: [registry],
    });
  }

  /** Records one pass of the link monitor. */
  record(links: readonly LinkObservation[]): void {
    this.links.reset();
    this.certificateDaysLeft.reset();
    for (const kind of new Set(links.map((link) => link.kind))) {
      for (const state of Object.values(LinkState)) this.links.labels(kind, state).set(0);
    }
    for (const link of links) {
      this.links.labels(link.kind, link.state).inc();
      const probe = link.probe;
      if (!probe || !link.peerDomain) continue;
      if (probe.latencyMs !== undefined) this.probeLatency.labels(link.peerDomain).observe(probe.latencyMs / 1000);
      if (probe.certificateDaysLeft !== undefined) this.certificateDaysLeft.labels(link.peerDomain).set(probe.certificateDaysLeft);
    }
  }
}
