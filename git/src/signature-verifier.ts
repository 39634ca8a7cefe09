import type { Key } from 'openpgp';
import type * as OpenPgpVerifier from './verify-openpgp.js';
import type { Logger } from '@netfleet/shared/log';
import { splitSignedCommit } from './commit-signature.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import type { VerificationMode, VerificationOptions } from './options.js';
import type { SignatureVerification } from './signature-types.js';
import { parseTrustedSshKeys, verifySshSignature, type TrustedSshKey } from './verify-ssh.js';

/** Under `enforce`, a revision whose signature is not trusted; the previous revision stays applied. */
export class SignatureRefusedError extends GitSourceError {
  constructor(readonly revision: string, readonly verification: SignatureVerification) {
    super(GitErrorCode.SignatureRefused, `Revision ${revision} is refused: signature ${describe(verification)}`, {
      hint: verification.status === 'untrusted'
        ? 'Add the signer\'s public key to the trusted keys if it should sign the fleet repository.'
        : 'Sign the commit with a trusted OpenPGP or SSH key (git commit -S) and push again.',
    });
  }
}

/** Checks commit signatures against the trusted keys and applies the verification mode. */
export class SignatureVerifier {
  readonly mode: VerificationMode;
  private readonly sshKeys: TrustedSshKey[];
  private openpgpKeys: Promise<Key[]> | undefined;

  /** @throws GitSourceError `AGENT_GIT_CONFIG` when a trusted SSH key line holds no key. */
  constructor(private readonly options: Required<VerificationOptions>) {
    this.mode = options.mode;
    const parsed = parseTrustedSshKeys(options.sshKeys);
    if ('badLine' in parsed) {
      throw new GitSourceError(GitErrorCode.Config, `Trusted SSH keys: line ${parsed.badLine} holds no SSH public key`, {
        hint: 'Use authorized_keys lines ("ssh-ed25519 AAAA... comment") or allowed_signers lines ("principal ssh-ed25519 AAAA...").',
      });
    }
    this.sshKeys = parsed.keys;
  }

  /** Verify the raw commit object (as stored, without the `commit <size>\0` prefix). */
  async verify(rawCommit: Uint8Array): Promise<SignatureVerification> {
    const { payload, signature } = splitSignedCommit(rawCommit);
    if (!signature) return { status: 'unsigned', reason: 'the commit has no signature' };
    switch (signature.format) {
      case 'openpgp': {
        const { verifyOpenPgpSignature } = await openpgpVerifier();
        return verifyOpenPgpSignature(payload, signature.armored, await this.trustedOpenPgpKeys());
      }
      case 'ssh': return verifySshSignature(payload, signature.armored, this.sshKeys);
      default: return { status: 'invalid', ...(signature.format ? { format: signature.format } : {}), reason: `${signature.format ?? 'unknown'} signatures are not supported` };
    }
  }

  /**
   * Apply the mode to a verification: `enforce` throws {@link SignatureRefusedError} for
   * anything not trusted; `warn` logs it and lets it through.
   */
  admit(revision: string, verification: SignatureVerification, log: Logger): void {
    if (verification.status === 'trusted') {
      log.info({ revision, signature: verification }, 'revision signed by a trusted key');
      return;
    }
    if (this.mode === 'enforce') throw new SignatureRefusedError(revision, verification);
    log.warn({ revision, signature: verification }, `signature ${describe(verification)}; applying anyway (verification mode warn)`);
  }

  private trustedOpenPgpKeys(): Promise<Key[]> {
    this.openpgpKeys ??= openpgpVerifier().then(({ readTrustedOpenPgpKeys }) => readTrustedOpenPgpKeys(this.options.openpgpKeys)).catch((error: unknown) => {
      this.openpgpKeys = undefined;
      throw new GitSourceError(GitErrorCode.Config, `Trusted OpenPGP keys cannot be read: ${(error as Error).message}`, {
        hint: 'Give ASCII-armored public keys (gpg --armor --export KEYID).',
      });
    });
    return this.openpgpKeys;
  }
}

/** openpgp is large; agents that only meet SSH signatures never load it. */
function openpgpVerifier(): Promise<typeof OpenPgpVerifier> {
  return import('./verify-openpgp.js');
}

function describe(verification: SignatureVerification): string {
  const key = verification.keyId ? ` (key ${verification.keyId})` : '';
  return `${verification.status}${key}${verification.reason ? `: ${verification.reason}` : ''}`;
}
