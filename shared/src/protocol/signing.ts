import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Report, UnsignedReport } from './schemas.js';

/**
 * The canonical serialization signatures are computed over: JSON with object keys sorted
 * (by UTF-16 code unit), no whitespace, `undefined` members left out. Arrays keep their
 * order. Both ends must produce byte-identical text for the same value.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

function hmacHex(key: string, report: UnsignedReport | Report): string {
  const { signature: _ignored, ...unsigned } = report as Report;
  return createHmac('sha256', Buffer.from(key, 'hex')).update(canonicalJson(unsigned)).digest('hex');
}

/** Signs a report with the cluster's hex report key. */
export function signReport<R extends UnsignedReport>(report: R, key: string): R & { signature: string } {
  return { ...report, signature: hmacHex(key, report) };
}

/** True when `report.signature` is the HMAC of the report under `key` (constant time). */
export function verifyReportSignature(report: Report, key: string): boolean {
  const expected = Buffer.from(hmacHex(key, report), 'hex');
  const actual = Buffer.from(report.signature, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
