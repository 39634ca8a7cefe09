import { Type, type Static } from '@sinclair/typebox';
import { MAX_REPORT_BYTES } from './constants.js';
import type { Report } from './schemas.js';
import { reportValidator } from './validate.js';

/**
 * How reports travel: the agent posts batches of signed reports to the hub API
 * (`POST /api/v1/reports`, its cluster token as bearer); the API puts each on the hub's
 * report queue as the report's JSON text, and the ingest workers decode it with
 * `decodeReportText`. Agents never reach the hub's Redis.
 */
export const REPORTS_PATH = '/api/v1/reports';

/** Most reports in one request. */
export const MAX_REPORTS_PER_REQUEST = 100;

/** Largest request body the reports route reads: a few full-size reports (413 beyond). */
export const MAX_REPORTS_BODY_BYTES = 4 * MAX_REPORT_BYTES;

/**
 * Deepest JSON nesting a report may have. The deepest field of a valid report (a drift
 * value) sits at depth 7; the rest is room for the desired and live values themselves.
 * Deeper text is refused before it is parsed, so nothing recurses over it.
 */
export const MAX_REPORT_DEPTH = 64;

/**
 * The request body. Reports are checked one by one by the ingest workers; the API checks
 * only the sender (every report must be the token's cluster) and the sizes.
 */
export const ReportBatchSchema = Type.Object({
  reports: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_REPORTS_PER_REQUEST }),
}, { additionalProperties: false });

/** Why the API refused one report of a batch (it is not retried). */
export const ReportRefusalSchema = Type.Object({
  seq: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.Literal('oversized'), Type.Literal('malformed')]),
});

/** `202`: the reports are queued (or were queued before: a resend is harmless). */
export const ReportBatchAcceptedSchema = Type.Object({
  queued: Type.Integer({ minimum: 0 }),
  refused: Type.Array(ReportRefusalSchema),
});

export type ReportBatch = Static<typeof ReportBatchSchema>;
export type ReportRefusal = Static<typeof ReportRefusalSchema>;
export type ReportBatchAccepted = Static<typeof ReportBatchAcceptedSchema>;

export type DecodedReport =
  | { ok: true; report: Report }
  | { ok: false; reason: 'oversized' | 'malformed' };

/**
 * Decodes one report's JSON text: the size is checked before anything is read, the nesting
 * depth before it is parsed, then the schema. Never throws: undecodable text is `malformed`.
 */
export function decodeReportText(text: unknown, maxBytes = MAX_REPORT_BYTES): DecodedReport {
  if (typeof text !== 'string') return { ok: false, reason: 'malformed' };
  // A string's UTF-8 size is at least its length: most oversized texts are refused unmeasured.
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) return { ok: false, reason: 'oversized' };
  if (!nestingWithin(text, MAX_REPORT_DEPTH)) return { ok: false, reason: 'malformed' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  return reportValidator.check(value) ? { ok: true, report: value } : { ok: false, reason: 'malformed' };
}

/** True when no JSON array or object in `text` is nested deeper than `maxDepth` (strings skipped). */
export function nestingWithin(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return false;
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    }
  }
  return true;
}
