import { isWorkingLinkState, linkResourceKey, type LinkKind, type LinkReportBody, type LinkState } from '@netfleet/shared/protocol/links';

/** A link that does not work, seen from the cluster that reported it. */
export interface LinkFailure {
  /** The reporting cluster. */
  from: string;
  /** The peer cluster, or the peer's domain when no inventory cluster has it. */
  to: string;
  kind: LinkKind;
  /** The IstioFederation / IstioMulticluster in `from`. */
  name: string;
  state: LinkState;
  /** Since when it fails, in ms, in the hub's clock (0: since before the hub kept the time). */
  since: number;
}

type StoredFailure = Omit<LinkFailure, 'to'> & { peerDomain: string };

/**
 * The failing links of the fleet, kept by reporting cluster and by peer domain, so the
 * failures touching one cluster (its own links and its peers' links to it) are read
 * without walking every report. Peers are resolved by domain when read, so a new inventory
 * needs no rebuild.
 */
export class LinkFailures {
  readonly #byReporter = new Map<string, StoredFailure[]>();
  readonly #byPeerDomain = new Map<string, Map<string, StoredFailure[]>>();

  /** Replaces what `cluster` reported; `failingSince` is the ingest's first-seen map (resource key → ms). */
  set(cluster: string, body: LinkReportBody, failingSince: Readonly<Record<string, number>>): void {
    this.forget(cluster);
    const failures = body.links.filter((link) => !isWorkingLinkState(link.state)).map((link): StoredFailure => ({
      from: cluster, kind: link.kind, name: link.name, state: link.state, peerDomain: link.peerDomain,
      since: failingSince[linkResourceKey(link)] ?? 0,
    }));
    if (failures.length === 0) return;
    this.#byReporter.set(cluster, failures);
    for (const failure of failures) {
      let reporters = this.#byPeerDomain.get(failure.peerDomain);
      if (!reporters) this.#byPeerDomain.set(failure.peerDomain, (reporters = new Map()));
      reporters.set(cluster, [...(reporters.get(cluster) ?? []), failure]);
    }
  }

  forget(cluster: string): void {
    for (const failure of this.#byReporter.get(cluster) ?? []) {
      const reporters = this.#byPeerDomain.get(failure.peerDomain);
      reporters?.delete(cluster);
      if (reporters?.size === 0) this.#byPeerDomain.delete(failure.peerDomain);
    }
    this.#byReporter.delete(cluster);
  }

  /**
   * The failing links of `cluster` and of its peers towards it (found through its public
   * domain), with peers named through `clusterByDomain`.
   */
  touching(cluster: string, domain: string | undefined, clusterByDomain: ReadonlyMap<string, string>): LinkFailure[] {
    const incoming = domain ? [...(this.#byPeerDomain.get(domain)?.values() ?? [])].flat() : [];
    return [...(this.#byReporter.get(cluster) ?? []), ...incoming]
      .map(({ peerDomain, ...failure }) => ({ ...failure, to: clusterByDomain.get(peerDomain) ?? peerDomain }));
  }
}
