import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownHosts } from './known-hosts.js';

const KEY_A = Buffer.from('host key a');
const KEY_B = Buffer.from('host key b');
const a = KEY_A.toString('base64');
const b = KEY_B.toString('base64');

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('KnownHosts', () => {
  it('trusts the listed key of a host and names any other key a mismatch', () => {
    const hosts = KnownHosts.parse(`# comment\ngit.example,10.0.0.1 ssh-ed25519 ${a} ops\n`);
    expect(hosts.verify('git.example', 22, KEY_A)).toBe('trusted');
    expect(hosts.verify('10.0.0.1', 22, KEY_A)).toBe('trusted');
    expect(hosts.verify('git.example', 22, KEY_B)).toBe('mismatch');
    expect(hosts.verify('other.example', 22, KEY_A)).toBe('unknown-host');
  });

  it('reads [host]:port entries for other ports, and plain names only for port 22', () => {
    const hosts = KnownHosts.parse(`[git.example]:2222 ssh-ed25519 ${a}\n`);
    expect(hosts.verify('git.example', 2222, KEY_A)).toBe('trusted');
    expect(hosts.verify('git.example', 22, KEY_A)).toBe('unknown-host');
  });

  it('matches hashed names, wildcards and negations as OpenSSH does', () => {
    const hosts = KnownHosts.parse([
      `${hashed('hidden.example')} ssh-ed25519 ${a}`,
      `*.corp.example,!evil.corp.example ecdsa-sha2-nistp256 ${b}`,
    ].join('\n'));
    expect(hosts.verify('hidden.example', 22, KEY_A)).toBe('trusted');
    expect(hosts.verify('git.corp.example', 22, KEY_B)).toBe('trusted');
    expect(hosts.verify('evil.corp.example', 22, KEY_B)).toBe('unknown-host');
    expect(hosts.keyTypes('git.corp.example', 22)).toEqual(['ecdsa-sha2-nistp256']);
  });

  it('refuses a revoked key even where another line lists it, and skips @cert-authority lines', () => {
    const hosts = KnownHosts.parse([
      `git.example ssh-ed25519 ${a}`,
      `@revoked * ssh-ed25519 ${a}`,
      `@cert-authority *.example ssh-ed25519 ${b}`,
    ].join('\n'));
    expect(hosts.verify('git.example', 22, KEY_A)).toBe('revoked');
    expect(hosts.verify('other.example', 22, KEY_B)).toBe('unknown-host');
  });
});
