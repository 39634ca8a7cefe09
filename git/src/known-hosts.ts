import { createHmac } from 'node:crypto';

/** One usable line of a known_hosts file. */
interface KnownHostEntry {
  revoked: boolean;
  patterns: string[];
  keyType: string;
  key: Buffer;
}

/** The verdict on a host key. */
export type HostKeyVerdict = 'trusted' | 'unknown-host' | 'mismatch' | 'revoked';

/**
 * A known_hosts file as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): host
 * patterns with `*`, `?` and `!`, `[host]:port` for other ports than 22, hashed names
 * (`|1|salt|hash`) and `@revoked` lines. `@cert-authority` lines are skipped: host
 * certificates are not supported, so such a host is unknown rather than trusted.
 */
export class KnownHosts {
  private constructor(private readonly entries: KnownHostEntry[]) {}

  static parse(text: string): KnownHosts {
    const entries: KnownHostEntry[] = [];
    for (const raw of text.split('\n')) {
      const fields = raw.trim().split(/\s+/);
      if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      if (marker === '@cert-authority') continue;
      const [hosts, keyType, key] = fields;
      if (!hosts || !keyType || !key) continue;
      entries.push({ revoked: marker === '@revoked', patterns: hosts.split(','), keyType, key: Buffer.from(key, 'base64') });
    }
    return new KnownHosts(entries);
  }

  /** The key types known for the host, in file order (offered first to the server). */
  keyTypes(host: string, port: number): string[] {
    return [...new Set(this.entriesFor(host, port).filter((entry) => !entry.revoked).map((entry) => entry.keyType))];
  }

  /** Whether `key` (the SSH wire-format public key blob) is the host's known key. */
  verify(host: string, port: number, key: Buffer): HostKeyVerdict {
    const entries = this.entriesFor(host, port);
    if (this.entries.some((entry) => entry.revoked && entry.key.equals(key))) return 'revoked';
    const known = entries.filter((entry) => !entry.revoked);
    if (known.length === 0) return 'unknown-host';
    return known.some((entry) => entry.key.equals(key)) ? 'trusted' : 'mismatch';
  }

  private entriesFor(host: string, port: number): KnownHostEntry[] {
    const name = port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
    return this.entries.filter((entry) => matches(entry.patterns, name));
  }
}

/** A host matches a pattern list when some pattern matches it and no negated one does. */
function matches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!patternMatches(body, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt = '', hash = ''] = pattern.slice(3).split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const regex = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(name);
}
