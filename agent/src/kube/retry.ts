import { AbortError, ApiException, FetchError } from '@kubernetes/client-node';
import { KubeApiError, KubeErrorCode, type FieldConflict } from '../errors.js';

/** How requests to the cluster API are retried. */
export interface RetryOptions {
  /**
   * Attempts after the first one.
   * @defaultValue 5
   */
  retries: number;
  /**
   * Delay before the first retry, doubled on each attempt, in milliseconds.
   * @defaultValue 100
   */
  baseDelayMs: number;
  /**
   * Upper bound of one backoff delay, in milliseconds. A server's Retry-After is waited
   * out in full, up to {@link MAX_RETRY_AFTER_MS}.
   * @defaultValue 5000
   */
  maxDelayMs: number;
}

/** Longest Retry-After honoured; a server asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function defaultRetryOptions(): RetryOptions {
  return { retries: 5, baseDelayMs: 100, maxDelayMs: 5_000 };
}

/** Full jitter (AWS architecture blog): a random delay up to the exponential bound. */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const bound = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(bound * random());
}

/**
 * Runs `request` until it succeeds, fails for good, or retries run out. Transient
 * failures (unreachable, 5xx, 429, concurrent-write 409) are retried; a 429's
 * Retry-After is waited out instead of the backoff.
 */
export async function withRetry<T>(request: () => Promise<T>, options: RetryOptions, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (raw) {
      const error = toKubeError(raw);
      if (!error.transient || attempt >= options.retries || signal?.aborted) throw error;
      const delay = error.retryAfterSeconds !== undefined
        ? Math.min(error.retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS)
        : backoffDelay(attempt, options);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

/** Turns whatever the client threw into a KubeApiError with a code. */
export function toKubeError(raw: unknown): KubeApiError {
  if (raw instanceof KubeApiError) return raw;
  if (!(raw instanceof ApiException)) {
    const message = raw instanceof Error ? raw.message : String(raw);
    if (raw instanceof FetchError || raw instanceof AbortError) {
      return new KubeApiError(KubeErrorCode.Unreachable, `cluster API unreachable: ${message}`, {
        status: 0, cause: raw, hint: 'check the API server address and network; netfleet keeps retrying',
      });
    }
    return new KubeApiError(KubeErrorCode.Failed, message, { status: 0, cause: raw });
  }
  const status = raw.code;
  const body: StatusBody = typeof raw.body === 'object' && raw.body !== null ? raw.body as StatusBody : { message: String(raw.body) };
  const message = body.message ?? `HTTP ${status}`;
  const retryAfter = retryAfterSeconds(raw.headers as Record<string, string> | undefined);
  const details = { status, reason: body.reason, retryAfterSeconds: retryAfter, cause: raw };
  switch (true) {
    case isTypedPatchFailure(status, message):
      return new KubeApiError(KubeErrorCode.Invalid, message, {
        ...details, hint: 'the object has a field the schema the cluster serves does not declare (or a value of the wrong shape); fix it in the repository',
      });
    case status === 429:
      return new KubeApiError(KubeErrorCode.Throttled, `throttled by the API server: ${message}`, details);
    case status >= 500:
      return new KubeApiError(KubeErrorCode.ServerError, `API server error ${status}: ${message}`, details);
    case status === 404:
      return new KubeApiError(KubeErrorCode.NotFound, message, details);
    case status === 403 && hasCause(body, 'NamespaceTerminating'):
      return new KubeApiError(KubeErrorCode.NamespaceTerminating, message, {
        ...details, hint: 'the namespace is being deleted; netfleet retries and creates the object once the namespace is gone and applied again',
      });
    case status === 401 || status === 403:
      return new KubeApiError(KubeErrorCode.Forbidden, message, { ...details, hint: 'check the agent\'s credentials and RBAC' });
    case status === 409: {
      const conflicts = fieldConflicts(body);
      return conflicts.length > 0
        ? new KubeApiError(KubeErrorCode.FieldConflict, message, {
          ...details, conflicts,
          hint: 'another field manager owns these fields; set `force: true` on the document to take them over',
        })
        : new KubeApiError(KubeErrorCode.Busy, message, details);
    }
    case status === 400 || status === 422:
      return new KubeApiError(KubeErrorCode.Invalid, message, { ...details, hint: 'the object does not match the schema the cluster serves' });
    default:
      return new KubeApiError(KubeErrorCode.Failed, message, details);
  }
}

/**
 * kube-apiserver's field manager answers a server-side apply it cannot type against the
 * schema (an undeclared field, a duplicate list key) with a plain 500, whatever
 * fieldValidation says; sending it again cannot succeed.
 */
function isTypedPatchFailure(status: number, message: string): boolean {
  return status === 500 && message.startsWith('failed to create typed patch object (');
}

// StatusCause's Go field Type is serialised as `reason`.
function hasCause(body: StatusBody, reason: string): boolean {
  return (body.details?.causes ?? []).some((cause) => cause.reason === reason);
}

function fieldConflicts(body: StatusBody): FieldConflict[] {
  return (body.details?.causes ?? [])
    .filter((cause) => cause.reason === 'FieldManagerConflict')
    .map((cause) => ({ field: cause.field ?? '', message: cause.message ?? '' }));
}

function retryAfterSeconds(headers: Record<string, string> | undefined): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
