import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets the hub hands out. Tokens carry a readable kind and owner id so the hub finds the
 * stored hash without an index: `nfb_<id>_<secret>` (bootstrap), `nfc_<cluster>_<secret>`
 * (cluster API token). Only sha256 hashes of tokens are stored.
 *
 * Report keys are never stored: each is derived from the hub secret, the cluster name and
 * the cluster's key generation (HMAC-SHA256), so Redis holds nothing that signs reports and
 * a rotation (new generation) invalidates the old key at once.
 */
export type TokenKind = 'nfb' | 'nfc';

export function generateToken(kind: TokenKind, owner: string): string {
  return `${kind}_${owner}_${randomBytes(24).toString('base64url')}`;
}

/** Kind and owner of a well-formed token, or undefined. */
export function parseToken(token: string): { kind: TokenKind; owner: string } | undefined {
  const match = /^(nfb|nfc)_([a-z0-9-]{1,63})_[A-Za-z0-9_-]{32}$/.exec(token);
  return match ? { kind: match[1] as TokenKind, owner: match[2]! } : undefined;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export function deriveReportKey(secret: string, cluster: string, generation: number): string {
  return createHmac('sha256', secret).update(`netfleet/report-key/v1/${cluster}/${generation}`).digest('hex');
}
