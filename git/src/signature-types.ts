import type { SignatureFormat } from './commit-signature.js';

/** How a commit's signature relates to the trusted keys. */
export type SignatureStatus =
  /** No signature at all. */
  | 'unsigned'
  /** A valid signature by a trusted key. */
  | 'trusted'
  /** A valid signature, by a key that is not trusted. */
  | 'untrusted'
  /** A signature that does not verify (tampered commit, malformed, wrong namespace, unsupported). */
  | 'invalid';

/** The result of verifying one commit, as reported in logs and to the hub. */
export interface SignatureVerification {
  status: SignatureStatus;
  /** Absent for unsigned commits. */
  format?: SignatureFormat;
  /**
   * OpenPGP: the 16-hex id of the key that made the signature (a subkey id when a subkey
   * signed), uppercase like `git log %GK`. SSH: the key's `SHA256:` fingerprint.
   */
  keyId?: string;
  /**
   * OpenPGP: the 40-hex fingerprint of the primary key (`%GP`) when the key is known,
   * else the issuer fingerprint the signature names, if any. SSH: the `SHA256:` fingerprint.
   */
  fingerprint?: string;
  /** OpenPGP: the key's primary user id. SSH: the allowed_signers principal or key comment. */
  signer?: string;
  /** Why the status is not `trusted`. */
  reason?: string;
}
