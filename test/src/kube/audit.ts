/** The request log tests and benchmarks count client traffic with. */

export interface AuditEntry {
  /** ISO time the request arrived. */
  time: string;
  /** The authenticated user ('' when authentication failed). */
  user: string;
  /** get, list, watch, create, update, patch, delete, deletecollection (non-resource requests: get). */
  verb: string;
  method: string;
  /** Path with the query string. */
  path: string;
  group: string;
  /** Plural resource name, '' for non-resource requests (discovery). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** HTTP status of the response. */
  status: number;
  dryRun: boolean;
  fieldManager?: string;
}

/** The audit entries in arrival order, with `clear()` to start counting afresh. */
export type AuditLog = AuditEntry[] & { clear(): void };

export function createAuditLog(): AuditLog {
  const entries: AuditEntry[] = [];
  // Not enumerable, so the log compares and prints like a plain array of entries.
  Object.defineProperty(entries, 'clear', { value: () => { entries.length = 0; }, enumerable: false });
  return entries as AuditLog;
}
