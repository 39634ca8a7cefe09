import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson, inCanonicalOrder } from '../render/hash.js';
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

/**
 * Signs a report with the cluster's hex report key. The signed report has its keys in
 * canonical order at every level (`signature` in its sorted place), so its JSON text, parsed
 * by the verifier, is verified without a reordered copy of it.
 */
export function signReport<R extends UnsignedReport>(report: R, key: string): R & { signature: string } {
  const ordered = inCanonicalOrder(report);
  const signature = hmacHex(key, ordered);
  const signed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ordered)) {
    if (name === 'signature') continue;
    if (!('signature' in signed) && name > 'signature') signed.signature = signature;
    signed[name] = value;
  }
  signed.signature ??= signature;
  return signed as R & { signature: string };
}

/** True when `report.signature` is the HMAC of the report under `key` (constant time). */
export function verifyReportSignature(report: Report, key: string): boolean {
  const expected = Buffer.from(hmacHex(key, report), 'hex');
  const actual = Buffer.from(report.signature, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
