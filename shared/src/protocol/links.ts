import { Type, type Static } from '@sinclair/typebox';
import { DNS_LABEL_PATTERN } from '../kube-names.js';

/**
 * Federation and multicluster link health: what an agent observes about each
 * IstioFederation / IstioMulticluster in its cluster (the `link` report body and the
 * heartbeat summary) and what the hub serves as the fleet link matrix. States, reasons
 * and finding types are closed sets, so alerts, filters and the CLI grid rely on them.
 */

/** Which DKP resource a link is made of. */
export enum LinkKind {
  Federation = 'federation',
  Multicluster = 'multicluster',
}

/** The DKP kind behind each link kind. */
export const LINK_RESOURCE_KIND: Record<LinkKind, 'IstioFederation' | 'IstioMulticluster'> = {
  [LinkKind.Federation]: 'IstioFederation',
  [LinkKind.Multicluster]: 'IstioMulticluster',
};

/** The health of one directed link (this cluster → a peer), read from the resource's status. */
export enum LinkState {
  /** Public and private metadata are fresh and complete; every reported condition is True. */
  Healthy = 'healthy',
  /** Created recently; DKP has not completed its first exchange yet. */
  Pending = 'pending',
  /** Metadata exchange works but the data plane or the peer's API proxy does not. */
  Degraded = 'degraded',
  /** The exchange is broken now; traffic may still flow on cached gateway addresses. */
  Stale = 'stale',
  /** Public metadata fetched, private refused: the peer has no resource pointing back. */
  OneSided = 'one-sided',
  /** The peer's metadata endpoint was never reached. */
  Unreachable = 'unreachable',
  /** Private metadata lacks what DKP needs, so DKP drops the link. */
  Incomplete = 'incomplete',
  /** The resource cannot work as written (points at this cluster, bad endpoint, local key problem). */
  Misconfigured = 'misconfigured',
  /** The kind is not served: the istio module or its federation/multicluster mode is off. */
  ModuleNotEnabled = 'module-not-enabled',
  /** Declared in the fleet repository but absent from the cluster. */
  Missing = 'missing',
}

/** Working, or on the way to work (a new link before DKP's first exchange); every other state is a failure. */
export function isWorkingLinkState(state: LinkState): boolean {
  return state === LinkState.Healthy || state === LinkState.Pending;
}

/** Names a link within its reporting cluster: its resource's kind and name. */
export function linkResourceKey(observation: Pick<LinkObservation, 'kind' | 'name'>): string {
  return `${observation.kind}/${observation.name}`;
}

/** Why a link is in its state. */
export enum LinkReason {
  ExchangeSucceeded = 'ExchangeSucceeded',
  AwaitingFirstExchange = 'AwaitingFirstExchange',
  DataplaneProbeFailed = 'DataplaneProbeFailed',
  RemoteAPIUnreachable = 'RemoteAPIUnreachable',
  PublicMetadataStale = 'PublicMetadataStale',
  PrivateMetadataStale = 'PrivateMetadataStale',
  /** Conditions exist but their probe times are old: the discovery hook stopped running. */
  StatusNotRefreshed = 'StatusNotRefreshed',
  PrivateMetadataRefused = 'PrivateMetadataRefused',
  NeverFetched = 'NeverFetched',
  MissingIngressGateways = 'MissingIngressGateways',
  MissingPublicServices = 'MissingPublicServices',
  MissingAPIHost = 'MissingAPIHost',
  MissingNetworkName = 'MissingNetworkName',
  TrustDomainIsLocal = 'TrustDomainIsLocal',
  PointsAtSelf = 'PointsAtSelf',
  InvalidMetadataEndpoint = 'InvalidMetadataEndpoint',
  TokenGenerationFailed = 'TokenGenerationFailed',
  DataplaneConfigurationError = 'DataplaneConfigurationError',
  KindNotServed = 'KindNotServed',
  ResourceAbsent = 'ResourceAbsent',
}

/** How one probe of a peer's public metadata endpoint ended. */
export enum ProbeOutcome {
  Ok = 'ok',
  /** The endpoint answered with a non-2xx status. */
  HttpError = 'http-error',
  /** The body is not JSON. */
  InvalidJson = 'invalid-json',
  /** JSON, but without a `clusterUUID` string. */
  InvalidMetadata = 'invalid-metadata',
  /** The TLS handshake failed (untrusted or expired certificate, wrong name). */
  TlsError = 'tls-error',
  Timeout = 'timeout',
  /** Name resolution or TCP connection failed. */
  ConnectionFailed = 'connection-failed',
}

const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });
const ShortText = Type.String({ maxLength: 1024 });

export const ProbeResultSchema = Type.Object({
  /** The probed URL: `https://istio.<peer domain>/metadata/public/public.json`. */
  url: Type.String({ maxLength: 512 }),
  outcome: Type.Enum(ProbeOutcome),
  probedAt: Timestamp,
  httpStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
  /** Time to the full response (or to the failure), in milliseconds. */
  latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
  certificateExpiresAt: Type.Optional(Timestamp),
  /** Whole days until the serving certificate expires; negative once expired. */
  certificateDaysLeft: Type.Optional(Type.Integer()),
  /** The peer's identity as its endpoint states it now. */
  clusterUUID: Type.Optional(Type.String({ maxLength: 128 })),
  /** The identity seen before the last change: set once the peer was rebuilt. */
  previousClusterUUID: Type.Optional(Type.String({ maxLength: 128 })),
  clusterUUIDChangedAt: Type.Optional(Timestamp),
  /** What went wrong, without secrets. */
  error: Type.Optional(ShortText),
}, { additionalProperties: false });

export const LinkObservationSchema = Type.Object({
  kind: Type.Enum(LinkKind),
  /** Name of the IstioFederation / IstioMulticluster (cluster-scoped). */
  name: Type.String({ minLength: 1, maxLength: 253 }),
  /** True when netfleet applied the resource; unmanaged links are reported too. */
  managed: Type.Boolean(),
  metadataEndpoint: Type.String({ maxLength: 512 }),
  /** The peer's public domain (the endpoint host without `istio.`); '' when unknown. */
  peerDomain: Type.String({ maxLength: 253 }),
  state: Type.Enum(LinkState),
  reason: Type.Enum(LinkReason),
  message: ShortText,
  /** The DKP condition reason behind the state, as DKP wrote it (open set). */
  upstreamReason: Type.Optional(Type.String({ maxLength: 128 })),
  /** The most recent successful exchange DKP recorded. */
  lastExchangeAt: Type.Optional(Timestamp),
  /** The peer identity DKP cached (`status.metadataCache.public.clusterUUID`). */
  cachedClusterUUID: Type.Optional(Type.String({ maxLength: 128 })),
  probe: Type.Optional(ProbeResultSchema),
}, { additionalProperties: false });

/** The `link` report body: every link of the cluster, sent whenever one of them changes. */
export const LinkReportBodySchema = Type.Object({
  links: Type.Array(LinkObservationSchema, { maxItems: 2000 }),
}, { additionalProperties: false });

/** Link counts per state, for heartbeats. Every state is present (0 when none). */
export const LinkSummarySchema = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  byState: Type.Record(Type.Enum(LinkState), Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });

export type ProbeResult = Static<typeof ProbeResultSchema>;
export type LinkObservation = Static<typeof LinkObservationSchema>;
export type LinkReportBody = Static<typeof LinkReportBodySchema>;
export type LinkSummary = Static<typeof LinkSummarySchema>;

/** A summary with every state at 0. */
export function emptyLinkSummary(): LinkSummary {
  const byState = Object.fromEntries(Object.values(LinkState).map((state) => [state, 0])) as Record<LinkState, number>;
  return { total: 0, byState };
}

export function summarizeLinks(links: readonly Pick<LinkObservation, 'state'>[]): LinkSummary {
  const summary = emptyLinkSummary();
  for (const link of links) summary.byState[link.state] += 1;
  summary.total = links.length;
  return summary;
}

// ---- Fleet link matrix (hub API) -----------------------------------------------------

/** A matrix cell's state: a link state, or `unknown` while the source cluster has not reported links. */
export const LinkCellStateSchema = Type.Union([Type.Enum(LinkState), Type.Literal('unknown')]);
export type LinkCellState = Static<typeof LinkCellStateSchema>;

/** What the hub names about links. */
export enum LinkFindingType {
  /** Declared both ways; one side's resource is absent. */
  MissingOnOneSide = 'missing-on-one-side',
  /** Declared both ways; neither side has its resource. */
  MissingOnBothSides = 'missing-on-both-sides',
  /** A→B healthy, B→A broken. */
  Asymmetric = 'asymmetric',
  Stale = 'stale',
  /** The peer endpoint's certificate expires within the warning window. */
  CertificateExpiring = 'certificate-expiring',
  /** The peer's clusterUUID changed (rebuilt) or differs from what DKP cached. */
  PeerIdentityChanged = 'peer-identity-changed',
  /** A link exists in a cluster but no mesh group declares it. */
  Undeclared = 'undeclared',
  /** A declared link is broken (unreachable, one-sided, incomplete, ...). */
  LinkBroken = 'link-broken',
}

export const DirectedLinkSchema = Type.Object({
  from: Type.String({ maxLength: 63 }),
  to: Type.String({ maxLength: 63 }),
}, { additionalProperties: false });
export type DirectedLink = Static<typeof DirectedLinkSchema>;

export const LinkFindingSchema = Type.Object({
  /** Stable while the finding lasts; alerts deduplicate on it. */
  id: Type.String(),
  type: Type.Enum(LinkFindingType),
  /** Mesh group; '' for findings outside any group (undeclared links). */
  group: Type.String(),
  /** Clusters the finding is about. */
  clusters: Type.Array(Type.String()),
  links: Type.Array(DirectedLinkSchema),
  message: Type.String(),
}, { additionalProperties: false });
export type LinkFinding = Static<typeof LinkFindingSchema>;

export enum PartitionScope {
  Region = 'region',
  Cluster = 'cluster',
}

export enum PartitionDirection {
  /** Peers cannot reach the subject. */
  Inbound = 'inbound',
  /** The subject cannot reach its peers. */
  Outbound = 'outbound',
  /** Both. */
  Isolated = 'isolated',
}

export const PartitionFindingSchema = Type.Object({
  id: Type.String(),
  scope: Type.Enum(PartitionScope),
  /** The region or cluster name. */
  subject: Type.String(),
  direction: Type.Enum(PartitionDirection),
  /** The clusters on the other side of the failure. */
  peers: Type.Array(Type.String()),
  /** Failed links the finding stands for (these raise no per-link finding). */
  linkCount: Type.Integer({ minimum: 0 }),
  message: Type.String(),
}, { additionalProperties: false });
export type PartitionFinding = Static<typeof PartitionFindingSchema>;

/** One declared directed link. Kept small: a 200-cluster group has 39,800 of them. */
export const LinkCellSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  state: LinkCellStateSchema,
  /** Present only when the link is not healthy. */
  reason: Type.Optional(Type.Enum(LinkReason)),
  /** Present (false) only for a resource netfleet does not manage. */
  managed: Type.Optional(Type.Boolean()),
  /** Present only when the link is not healthy. */
  message: Type.Optional(Type.String()),
  latencyMs: Type.Optional(Type.Number()),
  certificateDaysLeft: Type.Optional(Type.Integer()),
  probeOutcome: Type.Optional(Type.Enum(ProbeOutcome)),
}, { additionalProperties: false });
export type LinkCell = Static<typeof LinkCellSchema>;

const Count = Type.Integer({ minimum: 0 });

/** Cells per state; every state is present. */
export const LinkCellCountsSchema = Type.Object({
  [LinkState.Healthy]: Count,
  [LinkState.Pending]: Count,
  [LinkState.Degraded]: Count,
  [LinkState.Stale]: Count,
  [LinkState.OneSided]: Count,
  [LinkState.Unreachable]: Count,
  [LinkState.Incomplete]: Count,
  [LinkState.Misconfigured]: Count,
  [LinkState.ModuleNotEnabled]: Count,
  [LinkState.Missing]: Count,
  unknown: Count,
}, { additionalProperties: false });
export type LinkCellCounts = Static<typeof LinkCellCountsSchema>;

export const MeshGroupMatrixSchema = Type.Object({
  group: Type.String(),
  kind: Type.Enum(LinkKind),
  /** Members in display order (by region, then name), with when each last reported its links. */
  clusters: Type.Array(Type.Object({
    name: Type.String(),
    region: Type.String(),
    reportedAt: Type.Union([Timestamp, Type.Null()]),
  }, { additionalProperties: false })),
  /** Directed cells, self links excluded. */
  cells: Type.Array(LinkCellSchema),
  counts: LinkCellCountsSchema,
  findings: Type.Array(LinkFindingSchema),
}, { additionalProperties: false });
export type MeshGroupMatrix = Static<typeof MeshGroupMatrixSchema>;

/** `GET /api/v1/links`: the fleet link matrix, filtered by group, region and state. */
export const LinkMatrixResponseSchema = Type.Object({
  groups: Type.Array(MeshGroupMatrixSchema),
  partitions: Type.Array(PartitionFindingSchema),
  /** Findings outside any mesh group (undeclared links). */
  findings: Type.Array(LinkFindingSchema),
}, { additionalProperties: false });
export type LinkMatrixResponse = Static<typeof LinkMatrixResponseSchema>;

export const LinkMatrixQuerySchema = Type.Object({
  group: Type.Optional(Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63 })),
  region: Type.Optional(Type.String({ pattern: DNS_LABEL_PATTERN, maxLength: 63 })),
  state: Type.Optional(LinkCellStateSchema),
}, { additionalProperties: false });
export type LinkMatrixQuery = Static<typeof LinkMatrixQuerySchema>;

/** `GET /api/v1/clusters/:name/links`: one cluster's links as it last reported them. */
export const ClusterLinksResponseSchema = Type.Object({
  cluster: Type.String(),
  /** null until the cluster's first link report. */
  reportedAt: Type.Union([Timestamp, Type.Null()]),
  links: Type.Array(LinkObservationSchema),
}, { additionalProperties: false });
export type ClusterLinksResponse = Static<typeof ClusterLinksResponseSchema>;

/** `GET /api/v1/clusters/:name/incoming-links`: the links its peers last reported towards a cluster. */
export const IncomingLinksResponseSchema = Type.Object({
  cluster: Type.String(),
  links: Type.Array(Type.Object({
    /** The peer that reported the link. */
    from: Type.String(),
    observation: LinkObservationSchema,
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export type IncomingLinksResponse = Static<typeof IncomingLinksResponseSchema>;

/** `GET /api/v1/links/:from/:to`: what `from` last reported of its links to `to` (a matrix cell, opened). */
export const LinkDetailResponseSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  /** When `from` last reported its links; null before its first link report. */
  reportedAt: Type.Union([Timestamp, Type.Null()]),
  /** One per resource: a federation and a multicluster link may join the same two clusters. */
  links: Type.Array(Type.Object({
    observation: LinkObservationSchema,
    /** Since when the link fails, in the hub's clock; null while it works, or when it failed before the hub kept the time. */
    failingSince: Type.Union([Timestamp, Type.Null()]),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export type LinkDetailResponse = Static<typeof LinkDetailResponseSchema>;
