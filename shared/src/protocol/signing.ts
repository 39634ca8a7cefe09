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
  return signed as unknown as R & { signature: string };
}

/** True when `report.signature` is the HMAC of the report under `key` (constant time). */
export function verifyReportSignature(report: Report, key: string): boolean {
  return sameSignature(report.signature, Buffer.from(hmacHex(key, report), 'hex'));
}

/**
 * `verifyReportSignature` for a report decoded from `text`, mostly without serializing it
 * again: a signer sends the canonical text with its signature member in place, so the
 * text without `,"signature":"…"` is the text it signed. If the HMAC of that cut text is the
 * signature, the report is what the key holder signed: the cut text is a canonical text it
 * signed, which holds no top-level `signature`, so the member cut was the report's own
 * top-level one and the report is that text's value plus its signature. Any other text
 * (another key order, spacing, escapes, as earlier agents send) is verified the canonical way.
 */
export function verifyReportText(text: string, report: Report, key: string): boolean {
  const member = `,"signature":"${report.signature}"`;
  const at = text.indexOf(member);
  if (at !== -1) {
    const hmac = createHmac('sha256', Buffer.from(key, 'hex')).update(text.slice(0, at)).update(text.slice(at + member.length));
    if (sameSignature(report.signature, hmac.digest())) return true;
  }
  return verifyReportSignature(report, key);
}

function sameSignature(signature: string, expected: Buffer): boolean {
  const actual = Buffer.from(signature, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
