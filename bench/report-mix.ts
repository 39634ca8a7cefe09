/**
 * The reports the benches send, shaped as agents send them. `realisticReport` is the mix a
 * steady fleet sends (of every 20 reports 16 heartbeats, 3 syncs with changes, 1 drift
 * report); `linkReport` is a cluster's federation links with probe results.
 */
import {
  Action, PROTOCOL_VERSION, ReportKind, SyncReason, SyncStatus, type DriftItem, type UnsignedReport,
} from '../shared/src/index.js';
import { LinkKind, LinkReason, LinkState, ProbeOutcome } from '../shared/src/protocol/links.js';

/**
 * A realistic mix: of every 20 reports 16 heartbeats, 3 sync results with changes and 1
 * drift report. `turn` picks the kind; it must vary per cluster and per seq (a round has
 * fewer than 20 seqs per cluster), so each cluster cycles through the kinds.
 */
export function realisticReport(cluster: string, seq: number, turn: number): UnsignedReport {
  const base = { protocolVersion: PROTOCOL_VERSION as typeof PROTOCOL_VERSION, cluster, seq, time: new Date().toISOString() };
  const roll = turn % 20;
  if (roll < 16) {
    return { ...base, kind: ReportKind.Heartbeat, body: { revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', objects: 42, driftCount: 0, agentVersion: '0.1.0', readiness: { ready: 40, notReady: 1, waiting: 1 } } };
  }
  if (roll < 19) {
    const changes = Array.from({ length: 20 }, (_, index) => ({
      subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `ingress-${index}` },
      action: index % 5 === 0 ? Action.Configured : Action.Unchanged,
    }));
    return { ...base, kind: ReportKind.Sync, body: { revision: `rev-${seq}`, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes } };
  }
  const items: DriftItem[] = Array.from({ length: 3 }, (_, index) => ({
    id: `deckhouse.io_IngressNginxController__ingress-${index}`,
    subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `ingress-${index}` },
    type: 'changed', policy: 'alert', fields: [{ path: '/spec/minReplicas', desired: 2, live: 3 }, { path: '/spec/inlet', desired: 'LoadBalancer', live: 'HostPort' }],
  }));
  return { ...base, kind: ReportKind.Drift, body: { revision: `rev-${seq}`, items } };
}

/** A link report of federation links to `peers`, with probe results; the links in `failing` are degraded (a probe timed out). */
export function linkReport(cluster: string, seq: number, peers: readonly string[], failing: ReadonlySet<string> = new Set()): UnsignedReport {
  const now = new Date().toISOString();
  return {
    protocolVersion: PROTOCOL_VERSION, cluster, seq, time: now, kind: ReportKind.Link, body: {
      links: peers.map((peer) => {
        const down = failing.has(peer);
        return {
          kind: LinkKind.Federation, name: peer, managed: true, metadataEndpoint: `https://istio.${peer}.example.com/metadata/`,
          peerDomain: `${peer}.example.com`, state: down ? LinkState.Degraded : LinkState.Healthy, reason: down ? LinkReason.DataplaneProbeFailed : LinkReason.ExchangeSucceeded,
          message: down ? 'the peer metadata endpoint did not answer' : 'metadata exchanged', lastExchangeAt: now,
          cachedClusterUUID: `uuid-${peer}`,
          probe: { url: `https://istio.${peer}.example.com/metadata/public/public.json`, outcome: down ? ProbeOutcome.Timeout : ProbeOutcome.Ok, probedAt: now, latencyMs: 12, certificateDaysLeft: 60 },
        };
      }),
    },
  } as UnsignedReport;
}
