import type { KubeObject } from '@netfleet/shared';
import {
  LinkKind, LinkReason, LinkState, type LinkObservation,
} from '@netfleet/shared/protocol/links';

/**
 * Derives the health of one IstioFederation / IstioMulticluster from its status, the way
 * DKP's discovery hooks write it (see "Federation and multicluster: setup and link health"
 * in the DKP reference README). Newer DKP writes `status.conditions`; older DKP only the
 * metadata cache and its fetch timestamps. Conditions win when present. Fields this code
 * does not know are ignored.
 */

/** Whether the resource behind a link exists. */
export enum LinkPresence {
  Present = 'present',
  /** Declared in the fleet repository, not found in the cluster. */
  Absent = 'absent',
  /** The API server does not serve the kind. */
  KindNotServed = 'kind-not-served',
}

/** What deriving a link state needs besides the object. */
export interface LinkStateContext {
  /** This cluster's `clusterDomain`; a federation trusting it points at itself. */
  localClusterDomain: string;
  /** This cluster's public domain, when known; a link to `istio.<it>` points at itself. */
  localPublicDomain?: string;
  /** True when netfleet applied the resource. */
  managed: boolean;
  /**
   * How old a successful exchange may be before the link counts as stale, in ms. DKP
   * refreshes every minute.
   * @defaultValue 180000 (3 minutes)
   */
  staleAfterMs?: number;
  /** The time to judge ages against. */
  now: Date;
  /** @defaultValue LinkPresence.Present */
  presence?: LinkPresence;
}

export const DEFAULT_STALE_AFTER_MS = 3 * 60_000;

/** DKP condition types. */
export enum LinkCondition {
  PublicMetadataExchangeReady = 'PublicMetadataExchangeReady',
  PrivateMetadataExchangeReady = 'PrivateMetadataExchangeReady',
  RemoteAPIServerReady = 'RemoteAPIServerReady',
  DataplaneConnectionReady = 'DataplaneConnectionReady',
}

/** The link kind of a DKP kind, or undefined for other kinds. */
export function linkKindOf(kind: string): LinkKind | undefined {
  if (kind === 'IstioFederation') return LinkKind.Federation;
  if (kind === 'IstioMulticluster') return LinkKind.Multicluster;
  return undefined;
}

/** The peer's public domain from a metadata endpoint (`https://istio.<domain>/metadata/`). */
export function peerDomainOf(endpoint: URL): string {
  if (endpoint.protocol !== 'https:') return '';
  return endpoint.hostname.startsWith('istio.') ? endpoint.hostname.slice('istio.'.length) : endpoint.hostname;
}

/** The observation of one link resource, without the active probe. */
export function deriveLinkState(kind: LinkKind, object: KubeObject, context: LinkStateContext): LinkObservation {
  const spec = record(object.spec);
  const endpointText = text(spec.metadataEndpoint) ?? '';
  const endpoint = parseEndpoint(endpointText);
  const base = {
    kind,
    name: object.metadata.name,
    managed: context.managed,
    metadataEndpoint: endpointText,
    peerDomain: endpoint ? peerDomainOf(endpoint) : '',
  };
  const status = readStatus(object.status);
  const verdict = judge(kind, object, status, endpoint, base.peerDomain, context);
  const cachedClusterUUID = text(status.publicCache?.clusterUUID);
  const lastExchangeAt = latest([status.publicFetchedAt, status.privateFetchedAt]);
  return {
    ...base,
    ...verdict,
    ...(lastExchangeAt ? { lastExchangeAt: lastExchangeAt.toISOString() } : {}),
    ...(cachedClusterUUID ? { cachedClusterUUID } : {}),
  };
}

type Verdict = Pick<LinkObservation, 'state' | 'reason' | 'message' | 'upstreamReason'>;

function judge(kind: LinkKind, object: KubeObject, status: LinkStatus, endpoint: URL | undefined, peerDomain: string, context: LinkStateContext): Verdict {
  const presence = context.presence ?? LinkPresence.Present;
  if (presence === LinkPresence.KindNotServed) {
    return verdict(LinkState.ModuleNotEnabled, LinkReason.KindNotServed,
      `${object.kind} is not served: enable ${kind} in the istio ModuleConfig`);
  }
  if (presence === LinkPresence.Absent) {
    return verdict(LinkState.Missing, LinkReason.ResourceAbsent, `${object.kind} ${object.metadata.name} is declared but absent from the cluster`);
  }
  const misconfiguration = findMisconfiguration(kind, object, endpoint, peerDomain, context);
  if (misconfiguration) return misconfiguration;

  const peer = endpoint?.hostname ?? 'the peer';
  const staleAfterMs = context.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const created = date(object.metadata.creationTimestamp);
  const facts: Facts = {
    kind,
    peer,
    status,
    staleAfterMs,
    now: context.now.getTime(),
    recentlyCreated: created !== undefined && context.now.getTime() - created.getTime() <= staleAfterMs,
    // DKP's CRD defaults it to true.
    enableIngressGateway: record(object.spec).enableIngressGateway !== false,
  };
  return status.conditions.size > 0 ? fromConditions(facts) : fromTimestamps(facts);
}

function findMisconfiguration(kind: LinkKind, object: KubeObject, endpoint: URL | undefined, peerDomain: string, context: LinkStateContext): Verdict | undefined {
  const spec = record(object.spec);
  if (!endpoint) {
    return verdict(LinkState.Misconfigured, LinkReason.InvalidMetadataEndpoint,
      `spec.metadataEndpoint ${JSON.stringify(text(spec.metadataEndpoint) ?? '')} is not an https:// or file:// URL`);
  }
  if (kind === LinkKind.Federation && text(spec.trustDomain) === context.localClusterDomain) {
    return verdict(LinkState.Misconfigured, LinkReason.TrustDomainIsLocal,
      `spec.trustDomain equals this cluster's clusterDomain ${context.localClusterDomain}: DKP skips the federation`);
  }
  if (context.localPublicDomain && peerDomain === context.localPublicDomain) {
    return verdict(LinkState.Misconfigured, LinkReason.PointsAtSelf, `spec.metadataEndpoint points at this cluster (${endpoint.hostname})`);
  }
  return undefined;
}

interface Facts {
  kind: LinkKind;
  /** The metadata host, for messages. */
  peer: string;
  status: LinkStatus;
  staleAfterMs: number;
  now: number;
  recentlyCreated: boolean;
  /** Multicluster only: peers are reached through their ingress gateway. */
  enableIngressGateway: boolean;
}

/** Reads the newer status form: one condition per exchange step. */
function fromConditions(facts: Facts): Verdict {
  const { status, peer } = facts;
  const publicReady = status.conditions.get(LinkCondition.PublicMetadataExchangeReady);
  const privateReady = status.conditions.get(LinkCondition.PrivateMetadataExchangeReady);
  if (publicReady?.status !== 'True') {
    const upstream = describeCondition(publicReady);
    if (status.publicCache) {
      return verdict(LinkState.Stale, LinkReason.PublicMetadataStale, `public metadata of ${peer} cannot be refreshed${upstream.detail}`, upstream.reason);
    }
    if (facts.recentlyCreated) return awaitingFirstExchange(peer);
    return verdict(LinkState.Unreachable, LinkReason.NeverFetched, `public metadata of ${peer} was never fetched${upstream.detail}`, upstream.reason);
  }
  if (privateReady?.status !== 'True') {
    const upstream = describeCondition(privateReady);
    switch (privateReady?.reason) {
      case 'AwaitingPublic':
        return awaitingFirstExchange(peer);
      case 'MissingIngressGateways':
        return verdict(LinkState.Incomplete, LinkReason.MissingIngressGateways, `private metadata of ${peer} lists no ingress gateways${upstream.detail}`, upstream.reason);
      case 'TokenGenerationFailed':
        return verdict(LinkState.Misconfigured, LinkReason.TokenGenerationFailed, `this cluster cannot sign the token for ${peer}${upstream.detail}`, upstream.reason);
    }
    if (status.privateCache) {
      return verdict(LinkState.Stale, LinkReason.PrivateMetadataStale, `private metadata of ${peer} cannot be refreshed${upstream.detail}`, upstream.reason);
    }
    if (facts.recentlyCreated) return awaitingFirstExchange(peer);
    return oneSided(peer, upstream);
  }
  const incomplete = findIncompleteness(facts);
  if (incomplete) return incomplete;
  const remoteApi = status.conditions.get(LinkCondition.RemoteAPIServerReady);
  if (facts.kind === LinkKind.Multicluster && remoteApi && remoteApi.status !== 'True') {
    const upstream = describeCondition(remoteApi);
    if (remoteApi.reason === 'MissingAPIHost') {
      return verdict(LinkState.Incomplete, LinkReason.MissingAPIHost, `private metadata of ${peer} has no apiHost${upstream.detail}`, upstream.reason);
    }
    if (remoteApi.reason === 'AwaitingPrivate') return awaitingFirstExchange(peer);
    return verdict(LinkState.Degraded, LinkReason.RemoteAPIUnreachable, `the API proxy of ${peer} does not answer${upstream.detail}`, upstream.reason);
  }
  const dataplane = status.conditions.get(LinkCondition.DataplaneConnectionReady);
  // Unknown means the health checker has no verdict yet (or is not installed): no signal.
  if (dataplane?.status === 'False') {
    const upstream = describeCondition(dataplane);
    if (dataplane.reason === 'ConfigurationError') {
      return verdict(LinkState.Misconfigured, LinkReason.DataplaneConfigurationError, `the data-plane health check to ${peer} is misconfigured${upstream.detail}`, upstream.reason);
    }
    return verdict(LinkState.Degraded, LinkReason.DataplaneProbeFailed, `the data-plane probe to ${peer} fails${upstream.detail}`, upstream.reason);
  }
  const probedAt = latest([...status.conditions.values()].map((condition) => condition.lastProbeTime));
  if (probedAt && facts.now - probedAt.getTime() > facts.staleAfterMs) {
    return verdict(LinkState.Stale, LinkReason.StatusNotRefreshed,
      `conditions were last probed ${formatAge(facts.now - probedAt.getTime())} ago: the discovery hook is not running`);
  }
  return verdict(LinkState.Healthy, LinkReason.ExchangeSucceeded, `metadata exchange with ${peer} succeeds`);
}

/** Reads the older status form: the metadata cache and its fetch timestamps. */
function fromTimestamps(facts: Facts): Verdict {
  const { status, peer } = facts;
  if (!status.publicCache && !status.publicFetchedAt) {
    if (facts.recentlyCreated) return awaitingFirstExchange(peer);
    return verdict(LinkState.Unreachable, LinkReason.NeverFetched, `public metadata of ${peer} was never fetched (check DNS, TLS, the URL, and that the peer enabled ${facts.kind})`);
  }
  if (!status.privateCache && !status.privateFetchedAt) {
    if (facts.recentlyCreated) return awaitingFirstExchange(peer);
    return oneSided(peer, { detail: '' });
  }
  const incomplete = findIncompleteness(facts);
  if (incomplete) return incomplete;
  for (const [fetchedAt, reason, part] of [
    [status.publicFetchedAt, LinkReason.PublicMetadataStale, 'public'],
    [status.privateFetchedAt, LinkReason.PrivateMetadataStale, 'private'],
  ] as const) {
    // A hook revision that stopped stamping times leaves no age to judge: not stale.
    if (fetchedAt && facts.now - fetchedAt.getTime() > facts.staleAfterMs) {
      return verdict(LinkState.Stale, reason, `${part} metadata of ${peer} was last fetched ${formatAge(facts.now - fetchedAt.getTime())} ago (refresh is every minute)`);
    }
  }
  return verdict(LinkState.Healthy, LinkReason.ExchangeSucceeded, `metadata exchange with ${peer} succeeds`);
}

/** DKP keeps a peer only when the private cache is complete (`alliance_metadata_merge`). */
function findIncompleteness(facts: Facts): Verdict | undefined {
  const { status, peer, kind } = facts;
  const cache = status.privateCache;
  if (!cache) return undefined;
  const gateways = Array.isArray(cache.ingressGateways) ? cache.ingressGateways : [];
  if (kind === LinkKind.Federation) {
    if (gateways.length === 0) return verdict(LinkState.Incomplete, LinkReason.MissingIngressGateways, `private metadata of ${peer} lists no ingress gateways: DKP drops the link`);
    if (!Array.isArray(cache.publicServices)) return verdict(LinkState.Incomplete, LinkReason.MissingPublicServices, `private metadata of ${peer} has no publicServices: DKP drops the link`);
    return undefined;
  }
  if (!text(cache.apiHost)) return verdict(LinkState.Incomplete, LinkReason.MissingAPIHost, `private metadata of ${peer} has no apiHost: DKP drops the link`);
  if (!text(cache.networkName)) return verdict(LinkState.Incomplete, LinkReason.MissingNetworkName, `private metadata of ${peer} has no networkName: DKP drops the link`);
  if (facts.enableIngressGateway && gateways.length === 0) {
    return verdict(LinkState.Incomplete, LinkReason.MissingIngressGateways, `private metadata of ${peer} lists no ingress gateways while enableIngressGateway is true: DKP drops the link`);
  }
  return undefined;
}

function oneSided(peer: string, upstream: { reason?: string; detail: string }): Verdict {
  return verdict(LinkState.OneSided, LinkReason.PrivateMetadataRefused,
    `${peer} refuses private metadata: it has no resource pointing back at this cluster${upstream.detail}`, upstream.reason);
}

function awaitingFirstExchange(peer: string): Verdict {
  return verdict(LinkState.Pending, LinkReason.AwaitingFirstExchange, `waiting for the first metadata exchange with ${peer}`);
}

function verdict(state: LinkState, reason: LinkReason, message: string, upstreamReason?: string): Verdict {
  return { state, reason, message: message.slice(0, 1024), ...(upstreamReason ? { upstreamReason: upstreamReason.slice(0, 128) } : {}) };
}

// ---- Tolerant status reading ----------------------------------------------------------

interface Condition {
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: Date;
}

interface LinkStatus {
  conditions: Map<string, Condition>;
  publicCache?: Record<string, unknown>;
  privateCache?: Record<string, unknown>;
  publicFetchedAt?: Date;
  privateFetchedAt?: Date;
}

function readStatus(value: unknown): LinkStatus {
  const status = record(value);
  const cache = record(status.metadataCache);
  const conditions = new Map<string, Condition>();
  const known = new Set<string>(Object.values(LinkCondition));
  for (const entry of Array.isArray(status.conditions) ? status.conditions : []) {
    const condition = record(entry);
    const type = text(condition.type);
    if (!type || !known.has(type)) continue;
    conditions.set(type, {
      status: text(condition.status) ?? 'Unknown',
      reason: text(condition.reason),
      message: text(condition.message),
      lastProbeTime: date(condition.lastProbeTime),
    });
  }
  return {
    conditions,
    publicCache: isRecord(cache.public) ? cache.public : undefined,
    privateCache: isRecord(cache.private) ? cache.private : undefined,
    publicFetchedAt: date(cache.publicLastFetchTimestamp),
    privateFetchedAt: date(cache.privateLastFetchTimestamp),
  };
}

function describeCondition(condition: Condition | undefined): { reason?: string; detail: string } {
  if (!condition?.reason) return { detail: '' };
  const message = condition.message ? `: ${condition.message.slice(0, 300)}` : '';
  return { reason: condition.reason, detail: ` (DKP: ${condition.reason}${message})` };
}

function parseEndpoint(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'file:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function latest(dates: (Date | undefined)[]): Date | undefined {
  let result: Date | undefined;
  for (const value of dates) if (value && (!result || value > result)) result = value;
  return result;
}

function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60}m` : `${Math.floor(hours / 24)}d`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function date(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
