import { Type, type Static } from '@sinclair/typebox';

/**
 * Rollouts as the hub API shows them and agents and the CLI read them. The hub's rollout
 * state machine keeps more; these views are the boundary.
 */

const Time = Type.String({ format: 'date-time' });
const OptionalTime = Type.Union([Time, Type.Null()]);

export const RolloutPhaseSchema = Type.Union(
  ['pending', 'progressing', 'baking', 'paused', 'failed', 'done', 'rolledBack', 'aborted', 'superseded'].map((phase) => Type.Literal(phase)),
);

export const RolloutHoldSchema = Type.Object({
  /** The gate (`appliedAndReady`, `noNewDrift`, ...) or condition (`online`, `blackout`, `maxParallel`) holding the wave. */
  reason: Type.String(),
  clusters: Type.Array(Type.String()),
  /** When the hold lifts by itself (the end of a blackout), if known. */
  until: OptionalTime,
});

export const RolloutClusterSchema = Type.Object({
  name: Type.String(),
  status: Type.Union(['pending', 'updating', 'ready', 'failed', 'rolledBack'].map((status) => Type.Literal(status))),
  attempt: Type.Integer({ minimum: 0 }),
  online: Type.Boolean(),
  applied: Type.Boolean(),
  ready: Type.Boolean(),
  /** Gates the cluster does not pass now. */
  failingGates: Type.Array(Type.String()),
  /** What failing gates name, by gate (the links that fail for `noNewLinkFailures`). */
  gateDetails: Type.Optional(Type.Record(Type.String(), Type.String())),
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const RolloutWaveSchema = Type.Object({
  name: Type.String(),
  state: Type.Union(['waiting', 'progressing', 'baking', 'held', 'done'].map((state) => Type.Literal(state))),
  maxParallel: Type.Integer({ minimum: 1 }),
  bakeTimeSeconds: Type.Number(),
  deadlineSeconds: Type.Union([Type.Number(), Type.Null()]),
  startedAt: OptionalTime,
  bakeStartedAt: OptionalTime,
  completedAt: OptionalTime,
  clusters: Type.Array(RolloutClusterSchema),
});

export const RolloutSummarySchema = Type.Object({
  id: Type.String(),
  revision: Type.String(),
  previousRevision: Type.Union([Type.String(), Type.Null()]),
  policy: Type.String(),
  phase: RolloutPhaseSchema,
  /** Index of the current wave (equal to the number of waves once done). */
  wave: Type.Integer({ minimum: 0 }),
  waveCount: Type.Integer({ minimum: 0 }),
  clusterCount: Type.Integer({ minimum: 0 }),
  hold: Type.Union([RolloutHoldSchema, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Time,
  updatedAt: Time,
});

export const RolloutNoticeSchema = Type.Object({
  kind: Type.String(),
  message: Type.String(),
  at: Time,
  wave: Type.Optional(Type.Integer()),
  cluster: Type.Optional(Type.String()),
});

export const RolloutDetailSchema = Type.Intersect([
  RolloutSummarySchema,
  Type.Object({
    failurePolicy: Type.Union([Type.Literal('pause'), Type.Literal('rollback')]),
    deadlineAt: OptionalTime,
    blackout: Type.Object({ active: Type.Boolean(), endsAt: OptionalTime }),
    waves: Type.Array(RolloutWaveSchema),
    excluded: Type.Array(Type.String()),
    carriedOver: Type.Array(Type.String()),
    /** Newest first. */
    notices: Type.Array(RolloutNoticeSchema),
  }),
]);

export const RolloutListSchema = Type.Object({ items: Type.Array(RolloutSummarySchema) });

/** The revision a cluster must run, as its agent receives it. */
export const AssignmentSchema = Type.Object({
  cluster: Type.String(),
  revision: Type.String(),
  rolloutId: Type.String(),
  /** Changes when the same revision is assigned again (a retry): apply it again. */
  attempt: Type.Integer({ minimum: 1 }),
  reason: Type.String(),
  assignedAt: Time,
  /** Opaque version of the assignment; send it back as If-None-Match to wait for a change. */
  tag: Type.String(),
});

export const AssignmentResponseSchema = Type.Object({
  /** Null until the cluster's first assignment. */
  assignment: Type.Union([AssignmentSchema, Type.Null()]),
});

export const RolloutControlBodySchema = Type.Object({
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
}, { additionalProperties: false });

export type RolloutPhaseName = Static<typeof RolloutPhaseSchema>;
export type RolloutHoldView = Static<typeof RolloutHoldSchema>;
export type RolloutClusterView = Static<typeof RolloutClusterSchema>;
export type RolloutWaveView = Static<typeof RolloutWaveSchema>;
export type RolloutSummary = Static<typeof RolloutSummarySchema>;
export type RolloutNoticeView = Static<typeof RolloutNoticeSchema>;
export type RolloutDetail = Static<typeof RolloutDetailSchema>;
export type RolloutList = Static<typeof RolloutListSchema>;
export type AssignmentView = Static<typeof AssignmentSchema>;
export type AssignmentResponse = Static<typeof AssignmentResponseSchema>;
export type RolloutControlBody = Static<typeof RolloutControlBodySchema>;
