import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../render/hash.js';
import type { Report, UnsignedReport } from './schemas.js';

/**
 * Signatures are computed over the canonical serialization of `render/hash.ts` (the one
 * content hashes use): JSON with object keys sorted by UTF-16 code unit, no whitespace,
 * `undefined` members left out, arrays in order. Both ends must produce byte-identical text.
 */
export { canonicalJson };

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
