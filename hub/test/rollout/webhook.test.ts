import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePush, verifyWebhook } from '../../src/rollout/webhook.js';

const SECRET = 'webhook-secret-0123456789';
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: 'a'.repeat(40) }));
const hex = (secret: string, payload: Uint8Array = body) => createHmac('sha256', secret).update(payload).digest('hex');

describe('verifyWebhook', () => {
  it.each([
    ['a GitHub signature', { 'x-hub-signature-256': `sha256=${hex(SECRET)}` }, { ok: true, provider: 'github' }],
    ['a GitHub signature in upper case', { 'x-hub-signature-256': `sha256=${hex(SECRET).toUpperCase()}` }, { ok: true, provider: 'github' }],
    ['a GitHub signature made with another secret', { 'x-hub-signature-256': `sha256=${hex('other')}` }, { ok: false, reason: 'mismatch', provider: 'github' }],
    ['a GitHub signature without its sha256= prefix', { 'x-hub-signature-256': hex(SECRET) }, { ok: false, reason: 'malformed', provider: 'github' }],
    ['a truncated GitHub signature', { 'x-hub-signature-256': `sha256=${hex(SECRET).slice(0, 40)}` }, { ok: false, reason: 'malformed', provider: 'github' }],
    ['a Gitea signature', { 'x-gitea-signature': hex(SECRET) }, { ok: true, provider: 'gitea' }],
    ['a Gitea signature of another body', { 'x-gitea-signature': hex(SECRET, Buffer.from('{}')) }, { ok: false, reason: 'mismatch', provider: 'gitea' }],
    ['a Gitea signature that is not hex', { 'x-gitea-signature': 'z'.repeat(64) }, { ok: false, reason: 'malformed', provider: 'gitea' }],
    ['a GitLab token', { 'x-gitlab-token': SECRET }, { ok: true, provider: 'gitlab' }],
    ['a wrong GitLab token', { 'x-gitlab-token': `${SECRET}x` }, { ok: false, reason: 'mismatch', provider: 'gitlab' }],
    ['an empty GitLab token', { 'x-gitlab-token': '' }, { ok: false, reason: 'mismatch', provider: 'gitlab' }],
    ['a request without any signature', { 'content-type': 'application/json' }, { ok: false, reason: 'unsigned' }],
    ['the old SHA-1 GitHub header alone', { 'x-hub-signature': 'sha1=0123' }, { ok: false, reason: 'unsigned' }],
    ['a repeated header, by its first value', { 'x-gitea-signature': [hex(SECRET), 'junk'] }, { ok: true, provider: 'gitea' }],
  ])('judges %s', (_name, headers, verdict) => {
    expect(verifyWebhook(SECRET, headers, body)).toEqual(verdict);
  });
});

describe('parsePush', () => {
  it.each([
    ['a push, without the commit it names', body, { ref: 'refs/heads/main' }],
    ['a ping without ref', Buffer.from('{"zen":"Keep it logically awesome."}'), null],
    ['a body that is not JSON', Buffer.from('ref=main'), null],
    ['a JSON array', Buffer.from('[]'), null],
    ['an after that is not a commit id', Buffer.from('{"ref":"refs/heads/main","after":"HEAD"}'), null],
  ])('reads %s', (_name, payload, want) => {
    expect(parsePush(payload)).toEqual(want);
  });
});
