import { Type, type TInteger } from '@sinclair/typebox';
import { ClusterName, ErrorResponseSchema } from '@netfleet/shared';

/**
 * Schemas of route parameters and queries. Every value that reaches a Redis key or command
 * is bounded here, so a hostile one is a 400 naming the field, never a key of another
 * type (500 WRONGTYPE) or an integer Redis refuses.
 */

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  503: ErrorResponseSchema,
} as const;

export const ClusterParams = Type.Object({ name: ClusterName });

/** A rollout id: the first 12 hex digits of its revision. */
export const RolloutId = Type.String({ pattern: '^[0-9a-f]{12}$', description: 'The first 12 hex digits of the revision.' });

/** A bootstrap token id (the part of the token between `nfb_` and the secret). */
export const BootstrapTokenId = Type.String({ pattern: '^[0-9a-f]{12}$' });

/** A revision as reported by agents (a commit sha, or a test name): no separators or spaces. */
export const RevisionFilter = Type.String({ pattern: '^[0-9A-Za-z._-]{1,64}$' });

/** A page size: 1 to `maximum`. */
export const PageLimit = (maximum: number, defaultValue: number): TInteger =>
  Type.Integer({ minimum: 1, maximum, default: defaultValue });

/** How many items to skip; bounded so Redis never sees an index it refuses. */
export const PageOffset = Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 });
