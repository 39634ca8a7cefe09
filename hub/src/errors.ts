import { NetfleetError } from '@netfleet/shared';

/**
 * Every error the hub raises on purpose, with its HTTP status for the API. Codes are stable;
 * clients match on them.
 */
export const HubErrorCode = {
  Unauthorized: 'HUB_UNAUTHORIZED',
  Forbidden: 'HUB_FORBIDDEN',
  NotFound: 'HUB_NOT_FOUND',
  InvalidRequest: 'HUB_INVALID_REQUEST',
  BootstrapTokenInvalid: 'HUB_BOOTSTRAP_TOKEN_INVALID',
  BootstrapTokenExpired: 'HUB_BOOTSTRAP_TOKEN_EXPIRED',
  BootstrapTokenUsedUp: 'HUB_BOOTSTRAP_TOKEN_USED_UP',
  ClusterExists: 'HUB_CLUSTER_EXISTS',
  ClusterRevoked: 'HUB_CLUSTER_REVOKED',
  Config: 'HUB_CONFIG_INVALID',
  Redis: 'HUB_REDIS_UNAVAILABLE',
  /** A rollout control that does not apply to the rollout's state (e.g. promote while not baking). */
  RolloutRefused: 'HUB_ROLLOUT_REFUSED',
  /** The rollout kept changing under a control; retry it. */
  RolloutBusy: 'HUB_ROLLOUT_BUSY',
  /** The fleet repository cannot be read (server away, credentials refused, branch missing). */
  RepoUnreachable: 'HUB_REPO_UNREACHABLE',
  /** The client sent its request too slowly. */
  RequestTimeout: 'HUB_REQUEST_TIMEOUT',
  /** A push webhook without a valid signature. */
  WebhookRejected: 'HUB_WEBHOOK_REJECTED',
  /** A request body over the route's limit. */
  PayloadTooLarge: 'HUB_PAYLOAD_TOO_LARGE',
  /** The report queue is deeper than its bound: retry after the `Retry-After` seconds. */
  Busy: 'HUB_BUSY',
  Internal: 'HUB_INTERNAL',
} as const;

export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

const STATUS: Record<HubErrorCode, number> = {
  HUB_UNAUTHORIZED: 401,
  HUB_FORBIDDEN: 403,
  HUB_NOT_FOUND: 404,
  HUB_INVALID_REQUEST: 400,
  HUB_BOOTSTRAP_TOKEN_INVALID: 401,
  HUB_BOOTSTRAP_TOKEN_EXPIRED: 401,
  HUB_BOOTSTRAP_TOKEN_USED_UP: 401,
  HUB_CLUSTER_EXISTS: 409,
  HUB_CLUSTER_REVOKED: 409,
  HUB_CONFIG_INVALID: 500,
  HUB_REDIS_UNAVAILABLE: 503,
  HUB_ROLLOUT_REFUSED: 409,
  HUB_ROLLOUT_BUSY: 409,
  HUB_REPO_UNREACHABLE: 502,
  HUB_REQUEST_TIMEOUT: 408,
  HUB_WEBHOOK_REJECTED: 401,
  HUB_PAYLOAD_TOO_LARGE: 413,
  HUB_BUSY: 429,
  HUB_INTERNAL: 500,
};

export class HubError extends NetfleetError {
  declare readonly code: HubErrorCode;
  readonly statusCode: number;

  constructor(code: HubErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.statusCode = STATUS[code];
  }
}

/** Negative return codes of the registry Lua scripts, turned into typed errors in one place. */
export function registryScriptError(code: number, cluster: string): HubError {
  switch (code) {
    case -1: return new HubError(HubErrorCode.NotFound, `cluster ${cluster} is not registered`);
    case -2: return new HubError(HubErrorCode.ClusterRevoked, `cluster ${cluster} is revoked`, { hint: 'register it again under a new name' });
    case -10: return new HubError(HubErrorCode.BootstrapTokenInvalid, 'bootstrap token is not valid', { hint: 'ask an admin for a bootstrap token (netfleet API POST /api/v1/bootstrap-tokens)' });
    case -11: return new HubError(HubErrorCode.BootstrapTokenExpired, 'bootstrap token has expired', { hint: 'ask an admin for a new bootstrap token' });
    case -12: return new HubError(HubErrorCode.BootstrapTokenUsedUp, 'bootstrap token has no uses left', { hint: 'ask an admin for a new bootstrap token' });
    case -13: return new HubError(HubErrorCode.ClusterExists, `cluster ${cluster} is already registered`, { hint: 'to give it new credentials, rotate them (POST /api/v1/clusters/NAME/rotate)' });
    default: return new HubError(HubErrorCode.Internal, `unexpected registry script result ${code}`);
  }
}
