import { ApiException } from '@kubernetes/client-node';
import { KubeErrorCode, type KubeApiError } from '../errors.js';

/**
 * Immutable fields in an API server refusal. kube-apiserver answers 422 Invalid with one
 * cause per field; built-in kinds say `field is immutable`, CEL rules such as
 * `self == oldSelf` carry their own message, which by convention says `immutable` (the
 * same test Flux's ssa.IsImmutableError makes on the message).
 */
const IMMUTABLE = /is\s+immutable|immutable\s+field/i;

interface StatusCause {
  field?: string;
  message?: string;
}

/** The immutable fields the error names; empty when it is not about immutability. */
export function immutableFields(error: KubeApiError): string[] {
  if (error.code !== KubeErrorCode.Invalid) return [];
  const causes = causesOf(error.cause);
  const fields = causes.filter((cause) => IMMUTABLE.test(cause.message ?? '')).map((cause) => cause.field || '(unnamed field)');
  if (fields.length > 0) return [...new Set(fields)];
  return IMMUTABLE.test(error.message) ? ['(unnamed field)'] : [];
}

function causesOf(raw: unknown): StatusCause[] {
  if (!(raw instanceof ApiException)) return [];
  const body = raw.body as { details?: { causes?: StatusCause[] } } | undefined;
  return Array.isArray(body?.details?.causes) ? body.details.causes : [];
}
