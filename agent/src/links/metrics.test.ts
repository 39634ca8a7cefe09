import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LinkKind, LinkReason, LinkState, ProbeOutcome, type LinkObservation } from '@netfleet/shared/protocol/links';
import { LinkMetrics } from './metrics.js';

function link(name: string, state: LinkState, probe?: { latencyMs: number; certificateDaysLeft: number }): LinkObservation {
  return {
    kind: LinkKind.Federation, name, managed: true, metadataEndpoint: `https://istio.${name}.example.com/metadata/`, peerDomain: `${name}.example.com`,
    state, reason: LinkReason.ExchangeSucceeded, message: '',
    ...(probe ? { probe: { url: 'u', outcome: ProbeOutcome.Ok, probedAt: '2026-11-26T12:00:00Z', ...probe } } : {}),
  };
}

describe('when a link monitor pass is recorded', () => {
  it('exports links by state, probe latency and certificate days left', async () => {
    const registry = new Registry();
    const metrics = new LinkMetrics(registry);
    metrics.record([link('eu-2', LinkState.Healthy, { latencyMs: 30, certificateDaysLeft: 3 }), link('us-1', LinkState.Stale)]);
    const text = await registry.metrics();
    expect(text).toContain('netfleet_links{kind="federation",state="healthy"} 1');
    expect(text).toContain('netfleet_links{kind="federation",state="stale"} 1');
    expect(text).toContain('netfleet_links{kind="federation",state="unreachable"} 0');
    expect(text).toContain('netfleet_link_probe_latency_seconds_bucket{le="0.05",peer="eu-2.example.com"} 1');
    expect(text).toContain('netfleet_link_certificate_days_left{peer="eu-2.example.com"} 3');
  });

  it('forgets peers that are gone at the next pass', async () => {
    const registry = new Registry();
    const metrics = new LinkMetrics(registry);
    metrics.record([link('eu-2', LinkState.Healthy, { latencyMs: 30, certificateDaysLeft: 3 })]);
    metrics.record([link('us-1', LinkState.Healthy, { latencyMs: 30, certificateDaysLeft: 80 })]);
    const text = await registry.metrics();
    expect(text).not.toContain('netfleet_link_certificate_days_left{peer="eu-2.example.com"}');
    expect(text).toContain('netfleet_link_certificate_days_left{peer="us-1.example.com"} 80');
  });
});
