import { createMessage, readKeys, readSignature, verify, type Key, type Signature } from 'openpgp';
import type { SignatureVerification } from './signature-types.js';

/** Read armored OpenPGP public keys (each string may hold a keyring). */
export async function readTrustedOpenPgpKeys(armored: string[]): Promise<Key[]> {
  const keys: Key[] = [];
  for (const armoredKeys of armored) keys.push(...await readKeys({ armoredKeys }));
  return keys;
}

/**
 * Verify an armored detached OpenPGP signature over `payload` (git signs the commit in
 * binary mode), and decide whether it was made by one of the trusted keys or their subkeys.
 */
export async function verifyOpenPgpSignature(payload: Uint8Array, armored: string, trusted: Key[]): Promise<SignatureVerification> {
  let signature: Signature;
  try {
    signature = await readSignature({ armoredSignature: armored });
  } catch (error) {
    return { status: 'invalid', format: 'openpgp', reason: `malformed OpenPGP signature: ${(error as Error).message}` };
  }
  const packet = signature.packets[0];
  const keyId = signature.getSigningKeyIDs()[0]?.toHex().toUpperCase();
  const issuerFingerprint = packet?.issuerFingerprint ? Buffer.from(packet.issuerFingerprint).toString('hex').toUpperCase() : undefined;
  const identity = { format: 'openpgp' as const, ...(keyId ? { keyId } : {}), ...(issuerFingerprint ? { fingerprint: issuerFingerprint } : {}) };

  const signer = keyId === undefined ? undefined : trusted.find((key) => key.getKeys(signature.getSigningKeyIDs()[0]).length > 0);
  if (!signer) {
    // Without the key the signature cannot be checked; it is untrusted whether sound or not.
    return { status: 'untrusted', ...identity, reason: 'the signing key is not among the trusted OpenPGP keys' };
  }
  const known = { ...identity, fingerprint: signer.getFingerprint().toUpperCase(), signer: signer.getUserIDs()[0] ?? '' };
  try {
    const result = await verify({ message: await createMessage({ binary: payload }), signature, verificationKeys: [signer], format: 'binary' });
    await result.signatures[0]?.verified;
    if (!result.signatures[0]) throw new Error('no signature to verify');
  } catch (error) {
    return { status: 'invalid', ...known, reason: (error as Error).message };
  }
  return { status: 'trusted', ...known };
}
