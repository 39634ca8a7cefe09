/** The signature formats git writes into a commit's `gpgsig` header. */
export type SignatureFormat = 'openpgp' | 'ssh' | 'x509';

/** A raw commit object split into what was signed and the signature. */
export interface SignedCommit {
  /** The commit object without its signature header: the exact bytes git signed. */
  payload: Uint8Array;
  /** The armored signature, or undefined for an unsigned commit. */
  signature: { armored: string; format: SignatureFormat | undefined } | undefined;
}

const SIGNATURE_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);
const NEWLINE = 0x0a;
const SPACE = 0x20;

/**
 * Split a raw commit object (as stored, without the `commit <size>\0` prefix) the way
 * git does before verifying: drop the `gpgsig` header and its continuation lines, keep
 * every other byte as is. Works for any armor (OpenPGP, SSH, X.509).
 */
export function splitSignedCommit(raw: Uint8Array): SignedCommit {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const kept: Buffer[] = [];
  const signatureLines: string[] = [];
  // Inside a signature header: continuation lines are dropped, and collected for the first one.
  let skipping = false;
  let collecting = false;
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(NEWLINE, offset);
    const lineEnd = end < 0 ? bytes.length : end + 1;
    const line = bytes.subarray(offset, lineEnd);
    if (line.length === 1 && line[0] === NEWLINE) {
      // The blank line ends the headers; the message is kept untouched.
      kept.push(bytes.subarray(offset));
      break;
    }
    const text = () => line.toString('utf8').replace(/\n$/, '');
    if (skipping && line[0] === SPACE) {
      if (collecting) signatureLines.push(text().slice(1));
    } else {
      const name = line.subarray(0, line.indexOf(SPACE)).toString('utf8');
      skipping = SIGNATURE_HEADERS.has(name);
      collecting = skipping && signatureLines.length === 0;
      if (collecting) signatureLines.push(text().slice(name.length + 1));
      else if (!skipping) kept.push(line);
    }
    offset = lineEnd;
  }
  if (signatureLines.length === 0) return { payload: raw, signature: undefined };
  const armored = `${signatureLines.join('\n')}\n`;
  return { payload: Buffer.concat(kept), signature: { armored, format: formatOf(armored) } };
}

function formatOf(armored: string): SignatureFormat | undefined {
  if (armored.startsWith('-----BEGIN PGP SIGNATURE-----')) return 'openpgp';
  if (armored.startsWith('-----BEGIN SSH SIGNATURE-----')) return 'ssh';
  if (armored.startsWith('-----BEGIN SIGNED MESSAGE-----')) return 'x509';
  return undefined;
}
