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

/** Two clusters: a link's reporting end and its peer. */
export const LinkPairParams = Type.Object({ from: ClusterName, to: ClusterName });

/** A rollout id: the first 12 hex digits of its revision. */
export const RolloutId = Type.String({ pattern: '^[0-9a-f]{12}$', expected: 'a rollout id: the first 12 hex digits of its revision' });

/** A bootstrap token id (the part of the token between `nfb_` and the secret). */
export const BootstrapTokenId = Type.String({ pattern: '^[0-9a-f]{12}$', expected: 'a bootstrap token id (12 hex digits)' });

/**
 * A bounded integer. `finite` (a keyword the API's validator defines) refuses what a query
 * string such as `1e400` coerces to: ajv skips its bounds for Infinity.
 */
const boundedInteger = (minimum: number, maximum: number, defaultValue: number): TInteger =>
  Type.Integer({ minimum, maximum, default: defaultValue, finite: true, expected: `an integer from ${minimum} to ${maximum}` });

/** A page size: 1 to `maximum`. */
export const PageLimit = (maximum: number, defaultValue: number): TInteger => boundedInteger(1, maximum, defaultValue);

/** How many items to skip; bounded so Redis never sees an index it refuses. */
export const PageOffset = boundedInteger(0, 1_000_000, 0);

/** A revision filter: a commit id. */
export const RevisionFilter = Type.String({ pattern: '^[0-9a-f]{4,64}$', expected: 'a commit id (hex)' });
