import { NetfleetError, describeFileError } from '@netfleet/shared';

/**
 * The agent's error catalogue. Every error the agent raises on purpose is one of these
 * classes, each with a stable code (`AGENT_` for the agent's own logic, `KUBE_` for
 * what the cluster API answered) and a hint.
 */

/** One field another field manager owns, from a server-side apply conflict. */
export interface FieldConflict {
  /** The field path as the API server names it, e.g. `.spec.minReplicas`. */
  field: string;
  /** The API server's message for this field (names the other manager). */
  message: string;
}

/** What the cluster API answered when a request failed. */
export class KubeApiError extends NetfleetError {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The Status `reason` (NotFound, Conflict, Invalid, ...), when the server sent one. */
  readonly reason: string | undefined;
  /** Seconds the server asked us to wait (429/503 `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
  /** Fields owned by another manager, for a server-side apply conflict. */
  readonly conflicts: FieldConflict[];

  constructor(
    code: KubeErrorCode,
    message: string,
    details: { status: number; reason?: string; retryAfterSeconds?: number; conflicts?: FieldConflict[]; hint?: string; cause?: unknown },
  ) {
    super(code, message, { hint: details.hint, cause: details.cause });
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.conflicts = details.conflicts ?? [];
  }

  /** True when the same request may succeed if sent again later. */
  get transient(): boolean {
    return this.code === KubeErrorCode.Unreachable || this.code === KubeErrorCode.Throttled
      || this.code === KubeErrorCode.ServerError || this.code === KubeErrorCode.Busy;
  }
}

export enum KubeErrorCode {
  /** No connection, reset, timeout. */
  Unreachable = 'KUBE_UNREACHABLE',
  /** 429 Too Many Requests. */
  Throttled = 'KUBE_THROTTLED',
  /** 5xx. */
  ServerError = 'KUBE_SERVER_ERROR',
  /** 409 that is not a field-manager conflict (concurrent write); retrying helps. */
  Busy = 'KUBE_BUSY',
  /** Server-side apply conflict with another field manager. */
  FieldConflict = 'KUBE_FIELD_CONFLICT',
  NotFound = 'KUBE_NOT_FOUND',
  /** 400/422: the object is invalid for the served schema. */
  Invalid = 'KUBE_INVALID',
  /** 401/403. */
  Forbidden = 'KUBE_FORBIDDEN',
  /** 403 on a create in a namespace being deleted: possible again once it is gone and re-created. */
  NamespaceTerminating = 'KUBE_NAMESPACE_TERMINATING',
  /** Any other status. */
  Failed = 'KUBE_REQUEST_FAILED',
}

/** A kind the cluster does not serve (yet): its module's CRD is not installed. */
export class KindNotServedError extends NetfleetError {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super('KUBE_KIND_NOT_SERVED', `${kind} (${apiVersion}) is not served by the cluster`, {
      hint: 'the module that defines this kind is not enabled yet; netfleet retries once its CRD is served',
    });
  }
}

/** The sync would delete more of the inventory than allowed. */
export class PruneLimitError extends NetfleetError {
  constructor(readonly stale: number, readonly total: number, readonly maxShare: number) {
    super('AGENT_PRUNE_LIMIT', `refusing to delete ${stale} of ${total} managed objects (limit ${Math.round(maxShare * 100)}%)`, {
      hint: 'check the commit; if the mass delete is intended, run once with the prune limit overridden (--prune-limit 1)',
    });
  }
}

/** The in-cluster inventory could not be read or is not netfleet's. */
export class InventoryError extends NetfleetError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super('AGENT_INVENTORY', message, { hint: options.hint ?? 'check the agent\'s permissions on ConfigMaps in its namespace', cause: options.cause });
  }
}

/** The agent's own namespace (home of its inventory) does not exist and could not be created. */
export class AgentNamespaceError extends NetfleetError {
  constructor(readonly namespace: string, reason: string, options: { cause?: unknown } = {}) {
    super('AGENT_NAMESPACE_MISSING', `the agent's namespace ${namespace} does not exist and could not be created: ${reason}`, {
      hint: `create it (kubectl create namespace ${namespace}), allow the agent to create namespaces, or pass --namespace with an existing one`,
      cause: options.cause,
    });
  }
}

/** A configuration value of the agent itself is wrong. */
export class AgentConfigError extends NetfleetError {
  constructor(message: string, hint: string) {
    super('AGENT_CONFIG', message, { hint });
  }
}

/** The kubeconfig cannot be used: unreadable, not YAML, or without a current context. */
export class KubeConfigError extends NetfleetError {
  constructor(message: string, hint: string, options: { cause?: unknown } = {}) {
    super('KUBE_CONFIG_INVALID', message, { hint, cause: options.cause });
  }

  /** The file could not be read or parsed. */
  static unreadable(path: string, cause: unknown): KubeConfigError {
    const reason = (cause as NodeJS.ErrnoException).code ? describeFileError(cause) : `not a valid kubeconfig: ${String((cause as Error).message ?? cause).split('\n')[0]}`;
    return new KubeConfigError(`cannot read the kubeconfig ${path}: ${reason}`, 'check --kubeconfig (or KUBECONFIG)', { cause });
  }
}
