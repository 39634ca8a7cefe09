/**
 * kube-apiserver's error shape: every failure is a `Status` object with a reason, a code and,
 * for validation, `details.causes[].field`. Handlers throw KubeStatusError; the server writes it.
 */
import type { JsonObject } from './json.js';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A validation failure at one field, formatted like k8s.io/apimachinery field.Error. */
export interface FieldError {
  field: string;
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, ... */
  reason: string;
  /** The message without the field prefix (`Required value`, `Invalid value: ...`). */
  message: string;
}

export class KubeStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeStatusError';
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    if (!this.reason) delete status.reason;
    return status;
  }
}

/** `configmaps "x"` / `ingressnginxcontrollers.deckhouse.io "x"`, as kube-apiserver names a resource. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const statusErrors = {
  notFound(resource: string, group: string, name: string): KubeStatusError {
    return new KubeStatusError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource });
  },
  alreadyExists(resource: string, group: string, name: string): KubeStatusError {
    return new KubeStatusError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource });
  },
  conflict(resource: string, group: string, name: string, detail: string): KubeStatusError {
    return new KubeStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${detail}`, { name, group, kind: resource });
  },
  invalid(kind: string, group: string, name: string, errors: FieldError[]): KubeStatusError {
    const rendered = errors.map((error) => `${error.field}: ${error.message}`);
    const list = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
    return new KubeStatusError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`, {
      name, group, kind,
      causes: errors.map((error) => ({ reason: error.reason, message: error.message, field: error.field })),
    });
  },
  badRequest(message: string): KubeStatusError {
    return new KubeStatusError(400, 'BadRequest', message);
  },
  unauthorized(): KubeStatusError {
    return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(message: string, details?: StatusDetails): KubeStatusError {
    return new KubeStatusError(403, 'Forbidden', message, details);
  },
  methodNotAllowed(message: string): KubeStatusError {
    return new KubeStatusError(405, 'MethodNotAllowed', message);
  },
  unsupportedMediaType(contentType: string): KubeStatusError {
    return new KubeStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json (got ${contentType})`);
  },
  expired(message: string): KubeStatusError {
    return new KubeStatusError(410, 'Expired', message);
  },
  tooManyRequests(retryAfterSeconds: number): KubeStatusError {
    return new KubeStatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
  },
  /**
   * structured-merge-diff could not type an applied configuration against the schema
   * (structuredMergeManager.Apply in k8s.io/apiserver's managedfields). The error is a plain
   * Go error, not a Status, so ErrorToAPIStatus answers 500 with no reason; several problems
   * read like smd's ValidationErrors ("errors:" and one indented line each).
   */
  typedPatch(group: string, version: string, kind: string, metadata: JsonObject, problems: string[]): KubeStatusError {
    const object = `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}; ${group}/${version}, Kind=${kind}`;
    const detail = problems.length === 1 ? problems[0] : ['errors:', ...problems.map((problem) => `  ${problem}`)].join('\n');
    return new KubeStatusError(500, '', `failed to create typed patch object (${object}): ${detail}`);
  },
  internal(message: string): KubeStatusError {
    return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  pageNotFound(): KubeStatusError {
    return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource');
  },
};

/** Builders for field errors with kube-apiserver's wording. */
export const fieldErrors = {
  required(field: string, detail = ''): FieldError {
    return { field, reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value' };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${formatValue(value)}: ${detail}` };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${formatValue(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, supported: unknown[]): FieldError {
    const values = supported.map((item) => JSON.stringify(item)).join(', ');
    return { field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${formatValue(value)}: supported values: ${values}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` };
  },
  tooLong(field: string, max: number): FieldError {
    return { field, reason: 'FieldValueTooLong', message: `Too long: may not be longer than ${max}` };
  },
  tooMany(field: string, actual: number, max: number): FieldError {
    return { field, reason: 'FieldValueTooMany', message: `Too many: ${actual}: must have at most ${max} items` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${formatValue(value)}` };
  },
};

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
