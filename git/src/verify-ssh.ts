import { createHash, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { SignatureVerification } from './signature-types.js';

/** A public key trusted to sign commits with SSH, from an authorized_keys or allowed_signers line. */
export interface TrustedSshKey {
  /** The key blob (the base64 part of the line, decoded). */
  blob: Buffer;
  /** `SHA256:...`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The allowed_signers principal, else the authorized_keys comment. */
  principal: string | undefined;
}

const KEY_TYPES = 'ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com';
const KEY_PATTERN = new RegExp(`(?:^|\\s)(${KEY_TYPES})\\s+([A-Za-z0-9+/]+={0,3})(?:\\s+(.*))?$`);
/** git signs commits in this SSHSIG namespace. */
const GIT_NAMESPACE = 'git';

/**
 * Parse trusted SSH keys. Lines that restrict the key to namespaces without `git`
 * are left out, as git itself would not accept them for commits.
 * @returns the keys, or the number of the first line that holds no key.
 */
export function parseTrustedSshKeys(lines: string[]): { keys: TrustedSshKey[] } | { badLine: number } {
  const keys: TrustedSshKey[] = [];
  const all = lines.flatMap((entry) => entry.split('\n'));
  for (const [index, raw] of all.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = KEY_PATTERN.exec(line);
    if (!match) return { badLine: index + 1 };
    const before = line.slice(0, match.index).trim();
    const namespaces = /namespaces="([^"]*)"/.exec(before)?.[1];
    if (namespaces !== undefined && !namespaces.split(',').map((n) => n.trim()).includes(GIT_NAMESPACE)) continue;
    const blob = Buffer.from(match[2] ?? '', 'base64');
    const principal = before ? before.split(/\s+/)[0] : match[3]?.trim() || undefined;
    keys.push({ blob, fingerprint: sshFingerprint(blob), principal });
  }
  return { keys };
}

export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Verify an armored `SSH SIGNATURE` (the SSHSIG format of `ssh-keygen -Y sign`, which git
 * uses with `gpg.format ssh`) over `payload`, and decide whether its key is trusted.
 */
export function verifySshSignature(payload: Uint8Array, armored: string, trusted: TrustedSshKey[]): SignatureVerification {
  let sig: SshSig;
  try {
    sig = parseSshSig(armored);
  } catch (error) {
    return { status: 'invalid', format: 'ssh', reason: `malformed SSH signature: ${(error as Error).message}` };
  }
  const fingerprint = sshFingerprint(sig.publicKey);
  const identity = { format: 'ssh' as const, keyId: fingerprint, fingerprint };
  if (sig.namespace !== GIT_NAMESPACE) {
    return { status: 'invalid', ...identity, reason: `signed for namespace "${sig.namespace}", not "${GIT_NAMESPACE}"` };
  }
  const hashName = { sha256: 'sha256', sha512: 'sha512' }[sig.hashAlgorithm];
  if (!hashName) return { status: 'invalid', ...identity, reason: `unsupported hash algorithm ${sig.hashAlgorithm}` };

  let valid: boolean;
  try {
    const signedData = Buffer.concat([
      MAGIC,
      sshString(Buffer.from(sig.namespace)),
      sshString(sig.reserved),
      sshString(Buffer.from(sig.hashAlgorithm)),
      sshString(createHash(hashName).update(payload).digest()),
    ]);
    valid = verifyRaw(sig.publicKey, sig.signature, signedData);
  } catch (error) {
    return { status: 'invalid', ...identity, reason: (error as Error).message };
  }
  if (!valid) return { status: 'invalid', ...identity, reason: 'the signature does not match the commit' };

  const match = trusted.find((key) => key.blob.equals(sig.publicKey));
  if (!match) return { status: 'untrusted', ...identity, reason: 'the signing key is not among the trusted SSH keys' };
  return { status: 'trusted', ...identity, ...(match.principal ? { signer: match.principal } : {}) };
}

const MAGIC = Buffer.from('SSHSIG');

interface SshSig {
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: string;
  signature: Buffer;
}

function parseSshSig(armored: string): SshSig {
  const body = armored
    .replace('-----BEGIN SSH SIGNATURE-----', '')
    .replace('-----END SSH SIGNATURE-----', '')
    .replace(/\s+/g, '');
  const reader = new SshReader(Buffer.from(body, 'base64'));
  if (!reader.bytes(MAGIC.length).equals(MAGIC)) throw new Error('missing SSHSIG preamble');
  const version = reader.uint32();
  if (version !== 1) throw new Error(`unsupported SSHSIG version ${version}`);
  return {
    publicKey: reader.string(),
    namespace: reader.string().toString('utf8'),
    reserved: reader.string(),
    hashAlgorithm: reader.string().toString('utf8'),
    signature: reader.string(),
  };
}

/** Verify an SSH wire-format signature blob made by the key in `publicKeyBlob`. */
function verifyRaw(publicKeyBlob: Buffer, signatureBlob: Buffer, data: Buffer): boolean {
  const keyReader = new SshReader(publicKeyBlob);
  const keyType = keyReader.string().toString('utf8');
  const sigReader = new SshReader(signatureBlob);
  const sigType = sigReader.string().toString('utf8');
  const sigBytes = sigReader.string();

  if (keyType === 'ssh-ed25519') {
    if (sigType !== 'ssh-ed25519') throw new Error(`signature type ${sigType} does not fit key type ${keyType}`);
    return verify(null, data, jwkKey({ kty: 'OKP', crv: 'Ed25519', x: b64url(keyReader.string()) }), sigBytes);
  }
  if (keyType === 'ssh-rsa') {
    const hash = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256' }[sigType];
    if (!hash) throw new Error(`RSA signature type ${sigType} is not accepted (SHA-1 is refused)`);
    const e = keyReader.mpint();
    const n = keyReader.mpint();
    return verify(hash, data, jwkKey({ kty: 'RSA', e: b64url(e), n: b64url(n) }), sigBytes);
  }
  const curve = { 'ecdsa-sha2-nistp256': ['P-256', 'sha256', 32], 'ecdsa-sha2-nistp384': ['P-384', 'sha384', 48], 'ecdsa-sha2-nistp521': ['P-521', 'sha512', 66] }[keyType] as
    [string, string, number] | undefined;
  if (curve) {
    if (sigType !== keyType) throw new Error(`signature type ${sigType} does not fit key type ${keyType}`);
    const [crv, hash, size] = curve;
    keyReader.string();
    const point = keyReader.string();
    if (point[0] !== 0x04 || point.length !== 1 + 2 * size) throw new Error('unsupported ECDSA point encoding');
    const key = jwkKey({ kty: 'EC', crv, x: b64url(point.subarray(1, 1 + size)), y: b64url(point.subarray(1 + size)) });
    const rs = new SshReader(sigBytes);
    const signature = Buffer.concat([fixedWidth(rs.mpint(), size), fixedWidth(rs.mpint(), size)]);
    return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  throw new Error(`unsupported SSH key type ${keyType}`);
}

function jwkKey(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** Strip an mpint's sign byte and left-pad it to `size` bytes. */
function fixedWidth(value: Buffer, size: number): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  const trimmed = value.subarray(start);
  if (trimmed.length > size) throw new Error('ECDSA signature component too long');
  return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
}

function sshString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
}

/** Reads the SSH wire encoding (RFC 4251): uint32, string, mpint. */
class SshReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  bytes(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new Error('truncated data');
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  /** A positive mpint without its leading sign byte. */
  mpint(): Buffer {
    const value = this.string();
    return value[0] === 0 ? value.subarray(1) : value;
  }
}
