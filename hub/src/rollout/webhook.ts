import { createHmac, timingSafeEqual } from 'node:crypto';

/** Forges whose push webhooks the hub accepts, told apart by their signature header. */
export const WebhookProvider = {
  /** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. */
  GitHub: 'github',
  /** `X-Gitlab-Token: <the secret itself>`. */
  GitLab: 'gitlab',
  /** `X-Gitea-Signature: <hex HMAC-SHA256 of the body>`. */
  Gitea: 'gitea',
} as const;
export type WebhookProvider = (typeof WebhookProvider)[keyof typeof WebhookProvider];

export const WebhookRejection = {
  /** No signature header of a known forge. */
  Unsigned: 'unsigned',
  /** A signature header that is not of the expected form. */
  Malformed: 'malformed',
  /** The signature does not match the body and the secret. */
  Mismatch: 'mismatch',
} as const;
export type WebhookRejection = (typeof WebhookRejection)[keyof typeof WebhookRejection];

export type WebhookVerdict = { ok: true; provider: WebhookProvider } | { ok: false; reason: WebhookRejection; provider?: WebhookProvider };

type Headers = Record<string, string | string[] | undefined>;

/**
 * Checks a push webhook against the shared secret, over the raw body bytes as received
 * (a re-serialised body would not match). Comparisons take constant time.
 */
export function verifyWebhook(secret: string, headers: Headers, body: Uint8Array): WebhookVerdict {
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) {
    const match = /^sha256=([0-9a-f]{64})$/i.exec(github);
    if (!match) return { ok: false, reason: WebhookRejection.Malformed, provider: WebhookProvider.GitHub };
    return judge(WebhookProvider.GitHub, sameBytes(Buffer.from(match[1]!.toLowerCase(), 'hex'), hmac(secret, body)));
  }
  const gitea = header(headers, 'x-gitea-signature');
  if (gitea !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(gitea)) return { ok: false, reason: WebhookRejection.Malformed, provider: WebhookProvider.Gitea };
    return judge(WebhookProvider.Gitea, sameBytes(Buffer.from(gitea.toLowerCase(), 'hex'), hmac(secret, body)));
  }
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    // Hash both sides so the comparison takes the same time whatever the lengths.
    return judge(WebhookProvider.GitLab, sameBytes(fixedLengthDigest(gitlab), fixedLengthDigest(secret)));
  }
  return { ok: false, reason: WebhookRejection.Unsigned };
}

/**
 * The branch ref of a push event (the same field on all three forges). The commit the body
 * names is left out on purpose: the follower reads the branch tip from the server itself.
 */
export interface PushEvent {
  /** e.g. `refs/heads/main`. */
  ref: string;
}

/** Reads a push event body; null when it is not a push (a ping, a tag event without `after`). */
export function parsePush(body: Uint8Array): PushEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { ref, after } = parsed as Record<string, unknown>;
  if (typeof ref !== 'string' || typeof after !== 'string' || !/^[0-9a-f]{40,64}$/.test(after)) return null;
  return { ref };
}

/** The forge's id of one delivery (the same id on a redelivery), or undefined when it sends none. */
export function deliveryId(headers: Headers): string | undefined {
  const id = header(headers, 'x-github-delivery') ?? header(headers, 'x-gitea-delivery') ?? header(headers, 'x-gitlab-event-uuid');
  return id !== undefined && /^[A-Za-z0-9-]{1,128}$/.test(id) ? id : undefined;
}

function judge(provider: WebhookProvider, matches: boolean): WebhookVerdict {
  return matches ? { ok: true, provider } : { ok: false, reason: WebhookRejection.Mismatch, provider };
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hmac(secret: string, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

function fixedLengthDigest(text: string): Buffer {
  return createHmac('sha256', 'netfleet-webhook-token').update(text).digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
