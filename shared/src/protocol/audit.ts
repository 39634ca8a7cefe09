import { Type, type Static } from '@sinclair/typebox';

/** Actions that change who may do what, or what the fleet runs: each is kept in the hub's audit trail. */
export const AUDIT_ACTIONS = [
  'cluster.rotate', 'cluster.revoke', 'bootstrap-token.create', 'bootstrap-token.delete',
  'rollout.pause', 'rollout.resume', 'rollout.abort', 'rollout.rollback', 'rollout.promote', 'rollout.retry',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AuditEntrySchema = Type.Object({
  time: Type.String({ format: 'date-time' }),
  action: Type.Union(AUDIT_ACTIONS.map((action) => Type.Literal(action))),
  /** Who did it: `admin:<token id>`, `cluster:<name>`; a token id is the start of the token's sha256, never the token. */
  principal: Type.String(),
  /** What it was done to: a cluster, a bootstrap token id, a rollout id (`<rollout>/<cluster>` for a retry). */
  target: Type.String(),
}, { additionalProperties: false });

export const AuditListSchema = Type.Object({ items: Type.Array(AuditEntrySchema) });

export type AuditEntry = Static<typeof AuditEntrySchema>;
export type AuditList = Static<typeof AuditListSchema>;
