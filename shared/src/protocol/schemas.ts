import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Action } from '../changeset.js';
import { SyncReason } from '../reasons.js';
import type { DriftItem } from '../drift.js';
import { CLUSTER_NAME_PATTERN, PROTOCOL_VERSION } from './constants.js';
import { LinkReportBodySchema, LinkSummarySchema } from './links.js';
import { SyncStatus } from './sync-status.js';
import { DnsLabel, Labels } from '../kube-names.js';

/**
 * The report protocol: TypeBox schemas are the single definition; the TypeScript types are
 * derived with `Static`, and the same schemas validate reports at the hub, API bodies and
 * responses, and the JSON Schemas in docs/protocol.md.
 */

export const ClusterName = Type.String({ pattern: CLUSTER_NAME_PATTERN, maxLength: 63 });

/** A git revision (commit sha) or '' when none is known yet. */
export const Revision = Type.String({ maxLength: 64 });


export const ObjectRefSchema = Type.Object({
  group: Type.String({ maxLength: 253 }),
  kind: Type.String({ minLength: 1, maxLength: 63 }),
  namespace: Type.String({ maxLength: 63 }),
  name: Type.String({ minLength: 1, maxLength: 253 }),
}, { additionalProperties: false });

export const ChangeSetEntrySchema = Type.Object({
  subject: ObjectRefSchema,
  action: Type.Enum(Action),
  message: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: false });

/** Report kinds. `link` is reserved for federation/multicluster link health. */
export enum ReportKind {
  Heartbeat = 'heartbeat',
  Sync = 'sync',
  Drift = 'drift',
  Link = 'link',
}

export const ReadinessSummarySchema = Type.Object({
  ready: Type.Integer({ minimum: 0 }),
  notReady: Type.Integer({ minimum: 0 }),
  waiting: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });

export const HeartbeatBodySchema = Type.Object({
  /** Revision currently applied ('' before the first sync). */
  revision: Revision,
  /** Number of managed objects. */
  objects: Type.Integer({ minimum: 0 }),
  driftCount: Type.Integer({ minimum: 0 }),
  agentVersion: Type.String({ maxLength: 64 }),
  readiness: ReadinessSummarySchema,
  /** Federation and multicluster links by state, as of the last link check. */
  links: Type.Optional(LinkSummarySchema),
}, { additionalProperties: false });

export const SyncBodySchema = Type.Object({
  revision: Revision,
  /** Must be the status of `reason` (reasonStatus, sync-status.ts); the validator checks the pair. */
  status: Type.Enum(SyncStatus),
  reason: Type.Enum(SyncReason),
  changes: Type.Array(ChangeSetEntrySchema, { maxItems: 5000 }),
  /** Human-readable error; never contains secret values. */
  error: Type.Optional(Type.String({ maxLength: 4096 })),
  /** How long the sync took, from fetch to the last readiness check (agents before this field leave it out). */
  durationMs: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
}, { additionalProperties: false });

/** A JSON value as it appears in a drift report (Secret values are already hidden). */
const JsonValue = Type.Unknown();

export const DriftFieldSchema = Type.Object({
  /** JSON pointer (RFC 6901) of the drifted field. */
  path: Type.String({ maxLength: 1024 }),
  desired: Type.Optional(JsonValue),
  live: Type.Optional(JsonValue),
}, { additionalProperties: false });

/** The wire form of shared's DriftItem (drift.ts). */
export const DriftItemSchema = Type.Object({
  id: Type.String({ maxLength: 600 }),
  subject: ObjectRefSchema,
  type: Type.Union([Type.Literal('changed'), Type.Literal('deleted')]),
  fields: Type.Array(DriftFieldSchema, { maxItems: 256 }),
  policy: Type.Union([Type.Literal('correct'), Type.Literal('alert')]),
  fightingWith: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 32 })),
  message: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: false });

export const DriftBodySchema = Type.Object({
  revision: Revision,
  /** The complete current drift: an empty list means the cluster is back in line. */
  items: Type.Array(DriftItemSchema, { maxItems: 2000 }),
  /** Set when the agent dropped items to keep the report under the size limit. */
  truncated: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

/** Link health reports: every federation and multicluster link of the cluster (links.ts). */
export const LinkBodySchema = LinkReportBodySchema;

export const ReportBodySchemas = {
  [ReportKind.Heartbeat]: HeartbeatBodySchema,
  [ReportKind.Sync]: SyncBodySchema,
  [ReportKind.Drift]: DriftBodySchema,
  [ReportKind.Link]: LinkBodySchema,
} satisfies Record<ReportKind, TSchema>;

function envelope<K extends TSchema, B extends TSchema>(kind: K, body: B) {
  return Type.Object({
    protocolVersion: Type.Literal(PROTOCOL_VERSION),
    cluster: ClusterName,
    /** Per-cluster sequence number, strictly increasing, never reused; exact as a JSON number (at most 2^53 - 1). */
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    /** When the agent produced the report (RFC 3339). */
    time: Type.String({ format: 'date-time', maxLength: 40 }),
    kind,
    body,
    /** Hex HMAC-SHA256 over the canonical serialization of every other field. */
    signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  }, { additionalProperties: false });
}

export const HeartbeatReportSchema = envelope(Type.Literal(ReportKind.Heartbeat), HeartbeatBodySchema);
export const SyncReportSchema = envelope(Type.Literal(ReportKind.Sync), SyncBodySchema);
export const DriftReportSchema = envelope(Type.Literal(ReportKind.Drift), DriftBodySchema);
export const LinkReportSchema = envelope(Type.Literal(ReportKind.Link), LinkBodySchema);
/** The envelope alone (any kind, body unchecked): validated first so errors name the field. */
export const ReportEnvelopeSchema = envelope(Type.Enum(ReportKind), Type.Unknown());
export const ReportSchema = Type.Union([HeartbeatReportSchema, SyncReportSchema, DriftReportSchema, LinkReportSchema]);

export type ObjectRefBody = Static<typeof ObjectRefSchema>;
export type ReadinessSummary = Static<typeof ReadinessSummarySchema>;
export type HeartbeatBody = Static<typeof HeartbeatBodySchema>;
export type SyncBody = Static<typeof SyncBodySchema>;
export type DriftBody = Static<typeof DriftBodySchema>;
// The schema and shared's DriftItem interface must describe the same value.
type SameAs<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const driftItemSchemaMatches: SameAs<Static<typeof DriftItemSchema>, DriftItem> = true;
void driftItemSchemaMatches;
export type LinkBody = Static<typeof LinkBodySchema>;
export type Report = Static<typeof ReportSchema>;
export type ReportBody<K extends ReportKind> = Static<(typeof ReportBodySchemas)[K]>;
/** A report before it is signed. */
export type UnsignedReport = Report extends infer R ? (R extends Report ? Omit<R, 'signature'> : never) : never;

// ---- Registration --------------------------------------------------------------------

export const RegistrationRequestSchema = Type.Object({
  cluster: ClusterName,
  region: DnsLabel,
  labels: Type.Optional(Labels),
}, { additionalProperties: false });

export const CredentialsSchema = Type.Object({
  cluster: ClusterName,
  /** Hex key the agent signs reports with (HMAC-SHA256). */
  reportKey: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** Bearer token for the hub API; reads only this cluster's data. */
  apiToken: Type.String({ minLength: 20 }),
  /** Increases on every rotation. */
  keyGeneration: Type.Integer({ minimum: 1 }),
  protocolVersion: Type.Literal(PROTOCOL_VERSION),
  /** BullMQ queue and key prefix agents that queued reports in Redis themselves sent them to; agents now post them to the API. */
  queue: Type.String(),
  prefix: Type.String(),
}, { additionalProperties: false });

export type RegistrationRequest = Static<typeof RegistrationRequestSchema>;
export type Credentials = Static<typeof CredentialsSchema>;

export const BootstrapTokenRequestSchema = Type.Object({
  /** Lifetime in seconds. */
  ttlSeconds: Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600, default: 3600 }),
  maxUses: Type.Integer({ minimum: 1, maximum: 10000, default: 1 }),
  description: Type.Optional(Type.String({ maxLength: 256 })),
}, { additionalProperties: false });

export const BootstrapTokenInfoSchema = Type.Object({
  id: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  maxUses: Type.Integer(),
  uses: Type.Integer(),
  description: Type.String(),
});

export const BootstrapTokenCreatedSchema = Type.Intersect([
  BootstrapTokenInfoSchema,
  Type.Object({ token: Type.String() }),
]);

export type BootstrapTokenRequest = Static<typeof BootstrapTokenRequestSchema>;
export type BootstrapTokenInfo = Static<typeof BootstrapTokenInfoSchema>;
export type BootstrapTokenCreated = Static<typeof BootstrapTokenCreatedSchema>;

// ---- API responses -------------------------------------------------------------------

export enum ClusterState {
  /** Registered, no report yet. */
  Registered = 'registered',
  Online = 'online',
  /** Missed two heartbeats. */
  Offline = 'offline',
  Revoked = 'revoked',
}

export const ClusterSummarySchema = Type.Object({
  name: ClusterName,
  region: Type.String(),
  labels: Labels,
  state: Type.Enum(ClusterState),
  /** The revision the cluster runs (applied). */
  revision: Revision,
  /** The revision the rollouts assign it; absent before any rollout assigned one. */
  assignedRevision: Type.Optional(Revision),
  syncStatus: Type.Union([Type.Enum(SyncStatus), Type.Literal('')]),
  /** The last sync's reason; absent before the first sync. */
  syncReason: Type.Optional(Type.Enum(SyncReason)),
  driftCount: Type.Integer(),
  lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  offlineSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Federation and multicluster links as of the last heartbeat that counted them: how many, how many fail. */
  linkHealth: Type.Optional(Type.Object({ total: Type.Integer(), failing: Type.Integer() })),
});

export const ClusterDetailSchema = Type.Intersect([
  ClusterSummarySchema,
  Type.Object({
    registeredAt: Type.String({ format: 'date-time' }),
    keyGeneration: Type.Integer(),
    agentVersion: Type.String(),
    objects: Type.Integer(),
    readiness: Type.Union([ReadinessSummarySchema, Type.Null()]),
    sync: Type.Union([Type.Null(), Type.Object({
      revision: Revision,
      status: Type.Enum(SyncStatus),
      reason: Type.Enum(SyncReason),
      error: Type.String(),
      at: Type.String({ format: 'date-time' }),
      changes: Type.Record(Type.String(), Type.Integer()),
      /** Absent when the agent did not report it (agents before the field). */
      durationMs: Type.Optional(Type.Integer()),
    })]),
    lastSeq: Type.Integer(),
    reports: Type.Integer(),
    /** Links by state from the last heartbeat that carried them. */
    links: Type.Optional(LinkSummarySchema),
  }),
]);

export const ClusterListSchema = Type.Object({
  items: Type.Array(ClusterSummarySchema),
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
});

export const DriftStateSchema = Type.Object({
  cluster: ClusterName,
  revision: Revision,
  items: Type.Array(DriftItemSchema),
  truncated: Type.Boolean(),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

/** What a sync event records of its sync besides the revision: the last syncs on a cluster's page. */
export const SyncEventDetailSchema = Type.Object({
  status: Type.Enum(SyncStatus),
  reason: Type.Enum(SyncReason),
  /** Entries of the sync's change set by action (`created`, `configured`, `deleted`, ...). */
  changes: Type.Record(Type.String(), Type.Integer()),
  /** Absent when the agent did not report it (agents before the field). */
  durationMs: Type.Optional(Type.Integer()),
});

export const ClusterEventSchema = Type.Object({
  time: Type.String({ format: 'date-time' }),
  type: Type.String(),
  message: Type.String(),
  seq: Type.Optional(Type.Integer()),
  revision: Type.Optional(Type.String()),
  /** On `sync` events recorded by hubs that keep it. */
  sync: Type.Optional(SyncEventDetailSchema),
});

export const EventListSchema = Type.Object({ items: Type.Array(ClusterEventSchema) });

export enum AlertSeverity {
  Info = 'info',
  Warning = 'warning',
  Critical = 'critical',
}

export const AlertSchema = Type.Object({
  fingerprint: Type.String(),
  rule: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  severity: Type.Enum(AlertSeverity),
  summary: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  startsAt: Type.String({ format: 'date-time' }),
  endsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const AlertListSchema = Type.Object({ items: Type.Array(AlertSchema) });

export const ErrorResponseSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
  }),
});

export type ClusterSummary = Static<typeof ClusterSummarySchema>;
export type ClusterDetail = Static<typeof ClusterDetailSchema>;
export type ClusterList = Static<typeof ClusterListSchema>;
export type DriftState = Static<typeof DriftStateSchema>;
export type SyncEventDetail = Static<typeof SyncEventDetailSchema>;
export type ClusterEvent = Static<typeof ClusterEventSchema>;
export type EventList = Static<typeof EventListSchema>;
export type Alert = Static<typeof AlertSchema>;
export type ErrorResponse = Static<typeof ErrorResponseSchema>;
