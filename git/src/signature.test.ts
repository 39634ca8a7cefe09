import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@netfleet/shared';
import {
  configArgs, createGpgSigner, createSshSigner, createWorkTree, runTool, startGitServer, type CommitSigner, type GitServer, type WorkTree,
} from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitSignedCommit } from './commit-signature.js';
import { GitErrorCode, GitSource, SignatureRefusedError, type VerificationOptions } from './index.js';
import { SignatureVerifier } from './signature-verifier.js';
import { parseTrustedSshKeys, verifySshSignature, type TrustedSshKey } from './verify-ssh.js';

let server: GitServer;
let tree: WorkTree;
let cacheRoot: string;
const signers: Record<string, CommitSigner> = {};
let fileCount = 0;

beforeAll(async () => {
  const made = await Promise.all([
    createGpgSigner(), createGpgSigner({ subkey: true }), createGpgSigner({ userId: 'Stranger <stranger@netfleet.test>' }),
    createSshSigner(), createSshSigner({ type: 'ecdsa' }), createSshSigner({ type: 'rsa' }), createSshSigner({ principal: 'stranger@netfleet.test' }),
  ]);
  ['gpg', 'gpgSubkey', 'gpgStranger', 'ssh', 'sshEcdsa', 'sshRsa', 'sshStranger'].forEach((name, i) => { signers[name] = made[i]!; });
  server = await startGitServer();
  const repo = await server.createRepo('signed');
  tree = await createWorkTree(repo.dir);
  cacheRoot = await mkdtemp(join(tmpdir(), 'netfleet-sig-cache-'));
});

afterAll(async () => {
  await Promise.all(Object.values(signers).map((signer) => signer.dispose()));
  await tree?.dispose();
  await server?.dispose();
  await rm(cacheRoot, { recursive: true, force: true });
});

function signer(name: string): CommitSigner {
  const found = signers[name];
  if (!found) throw new Error(`no signer ${name}`);
  return found;
}

/** Commit a new file, signed by `by` when given, and push; returns the sha. */
async function commit(by?: CommitSigner, message = 'change'): Promise<string> {
  fileCount += 1;
  await tree.write({ [`f${fileCount}.yaml`]: `n: ${fileCount}\n` });
  const sha = await tree.commit(message, by ? { signer: by } : {});
  await tree.push({ force: true });
  return sha;
}

async function rawCommit(sha: string): Promise<Uint8Array> {
  return Buffer.from(await tree.git(['cat-file', 'commit', sha]));
}

/** What `git log` itself reports for the commit, checked with the same key trusted. */
async function gitReport(sha: string, trusted: CommitSigner): Promise<{ status: string; keyId: string }> {
  const out = await tree.git([...configArgs(trusted.verifyConfig), 'log', '-1', '--format=%G?%x09%GK', sha], { env: trusted.env });
  const [status = '', keyId = ''] = out.trim().split('\t');
  return { status, keyId };
}

function verifier(options: Partial<VerificationOptions>): SignatureVerifier {
  return new SignatureVerifier({ mode: 'enforce', openpgpKeys: [], sshKeys: [], ...options });
}

const everyTrustedKey = () => ({
  openpgpKeys: [signer('gpg').publicKey, signer('gpgSubkey').publicKey],
  sshKeys: [
    `${signer('ssh').publicKey}`,
    `ops@netfleet.test namespaces="git" ${signer('sshEcdsa').publicKey}`,
    `# release key\n${signer('sshRsa').publicKey}`,
  ],
});

describe('when a commit is signed by a trusted key', () => {
  it.each([
    { name: 'gpg', format: 'openpgp' },
    { name: 'gpgSubkey', format: 'openpgp' },
    { name: 'ssh', format: 'ssh' },
    { name: 'sshEcdsa', format: 'ssh' },
    { name: 'sshRsa', format: 'ssh' },
  ])('reports $name signatures as trusted with the key id git reports', async ({ name, format }) => {
    const key = signer(name);
    const sha = await commit(key);

    const result = await verifier(everyTrustedKey()).verify(await rawCommit(sha));

    const git = await gitReport(sha, key);
    expect(git.status).toBe('G');
    expect(result).toMatchObject({ status: 'trusted', format, keyId: git.keyId });
    expect(result.keyId).toBe(format === 'openpgp' ? key.signingKeyId.toUpperCase() : key.fingerprint);
    expect(result.fingerprint).toBe(format === 'openpgp' ? key.fingerprint.toUpperCase() : key.fingerprint);
  });

  it('reports the subkey id, not the primary key id, when a subkey signed', async () => {
    const key = signer('gpgSubkey');
    const result = await verifier(everyTrustedKey()).verify(await rawCommit(await commit(key)));
    expect(result.keyId).not.toBe(key.fingerprint.slice(-16).toUpperCase());
    expect(result.signer).toBe('Fleet Signer <signer@netfleet.test>');
  });

  it('names the allowed_signers principal of an SSH key', async () => {
    const result = await verifier(everyTrustedKey()).verify(await rawCommit(await commit(signer('sshEcdsa'))));
    expect(result.signer).toBe('ops@netfleet.test');
  });

  it('verifies the exact bytes git signed, whatever the message holds', async () => {
    const message = 'subject with trailing space \r\n\r\nbody line\twith tab\r\n  indented\n\n\ngpgsig look-alike\n';
    const sha = await commit(signer('ssh'), message);
    expect((await verifier(everyTrustedKey()).verify(await rawCommit(sha))).status).toBe('trusted');
    expect((await verifier(everyTrustedKey()).verify(await rawCommit(await commit(signer('gpg'), message)))).status).toBe('trusted');
  });
});

describe('when a commit is not signed by a trusted key', () => {
  it('reports an unsigned commit as unsigned', async () => {
    const sha = await commit();
    expect(await verifier(everyTrustedKey()).verify(await rawCommit(sha))).toEqual({ status: 'unsigned', reason: expect.any(String) });
    expect(splitSignedCommit(await rawCommit(sha)).signature).toBeUndefined();
  });

  it.each([
    { name: 'gpgStranger', format: 'openpgp' },
    { name: 'sshStranger', format: 'ssh' },
  ])('reports a valid $name signature by an unknown key as untrusted, naming that key', async ({ name, format }) => {
    const key = signer(name);
    const sha = await commit(key);
    const result = await verifier(everyTrustedKey()).verify(await rawCommit(sha));
    expect(result).toMatchObject({ status: 'untrusted', format, keyId: (await gitReport(sha, key)).keyId });
  });

  it.each(['gpg', 'ssh'])('reports a tampered %s-signed commit as invalid', async (name) => {
    const signed = await commit(signer(name));
    const tampered = await tree.tamper(signed, 'not what was signed');
    const result = await verifier(everyTrustedKey()).verify(await rawCommit(tampered));
    expect(result).toMatchObject({ status: 'invalid', format: name === 'gpg' ? 'openpgp' : 'ssh' });
    expect((await gitReport(tampered, signer(name))).status).toBe('B');
  });

  it('does not trust an SSH key whose allowed_signers line is limited to other namespaces', async () => {
    const sha = await commit(signer('ssh'));
    const result = await verifier({ sshKeys: [`ci@x namespaces="file" ${signer('ssh').publicKey}`] }).verify(await rawCommit(sha));
    expect(result.status).toBe('untrusted');
  });
});

describe('when an SSH signature is made outside git', () => {
  /** `ssh-keygen -Y sign` over `payload`, as git runs it, with extra options. */
  async function sshSign(key: CommitSigner, payload: string, args: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'netfleet-sshsig-'));
    try {
      const file = join(dir, 'payload');
      await writeFile(file, payload);
      await runTool('ssh-keygen', ['-Y', 'sign', '-f', key.gitConfig['user.signingkey']!, ...args, file]);
      return await readFile(`${file}.sig`, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.each([
    { hash: 'sha512', args: ['-n', 'git'], status: 'trusted' },
    { hash: 'sha256', args: ['-n', 'git', '-O', 'hashalg=sha256'], status: 'trusted' },
    { hash: 'sha512 in namespace file', args: ['-n', 'file'], status: 'invalid' },
  ])('verifies $hash signatures as $status', async ({ args, status }) => {
    const key = signer('sshEcdsa');
    const armored = await sshSign(key, 'tree abc\n\nmessage\n', args);
    const result = verifySshSignature(Buffer.from('tree abc\n\nmessage\n'), armored, parseTrusted([key.publicKey]));
    expect(result.status).toBe(status);
    expect(verifySshSignature(Buffer.from('tree abc\n\nother\n'), armored, parseTrusted([key.publicKey])).status).toBe('invalid');
  });
});

function parseTrusted(lines: string[]): TrustedSshKey[] {
  const parsed = parseTrustedSshKeys(lines);
  if (!('keys' in parsed)) throw new Error('bad key line');
  return parsed.keys;
}

describe('when trusted keys are misconfigured', () => {
  it('refuses an SSH key line without a key with AGENT_GIT_CONFIG and its line number', () => {
    expect(() => verifier({ sshKeys: ['# ok comment\nnot a key'] }))
      .toThrow(expect.objectContaining({ code: GitErrorCode.Config, message: expect.stringContaining('line 2') }));
  });

  it('refuses an OpenPGP key that is not armored with AGENT_GIT_CONFIG', async () => {
    const sha = await commit(signer('gpg'));
    await expect(verifier({ openpgpKeys: ['garbage'] }).verify(await rawCommit(sha))).rejects.toMatchObject({ code: GitErrorCode.Config });
  });
});

describe('when the git source verifies snapshots', () => {
  function source(verification: VerificationOptions, destination?: Writable): GitSource {
    return new GitSource({
      url: `${server.baseUrl}/signed.git`,
      cacheDir: join(cacheRoot, String(Math.random()).slice(2)),
      verification,
      logger: createLogger({ name: 'test', level: destination ? 'info' : 'silent', ...(destination ? { destination } : {}) }),
    });
  }

  it('under enforce, returns a trusted revision and refuses unsigned and untrusted ones', async () => {
    const agent = source({ mode: 'enforce', ...everyTrustedKey() });
    const good = await commit(signer('ssh'));
    expect((await agent.snapshot()).signature).toMatchObject({ status: 'trusted', keyId: signer('ssh').fingerprint });

    const unsigned = await commit();
    const refused = await agent.snapshot().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignatureRefusedError);
    expect(refused).toMatchObject({ code: GitErrorCode.SignatureRefused, revision: unsigned, verification: { status: 'unsigned' } });

    const foreign = await commit(signer('gpgStranger'));
    await expect(agent.snapshot()).rejects.toMatchObject({
      revision: foreign, verification: { status: 'untrusted', keyId: signer('gpgStranger').signingKeyId.toUpperCase() },
    });

    // The last good revision is still there to apply.
    expect((await agent.snapshot(good)).signature?.status).toBe('trusted');
    agent.close();
  });

  it('under warn, returns an untrusted revision and logs a warning naming the key', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const agent = source({ mode: 'warn', ...everyTrustedKey() }, destination);
    const sha = await commit(signer('sshStranger'));

    const snapshot = await agent.snapshot();

    expect(snapshot.revision).toBe(sha);
    expect(snapshot.signature?.status).toBe('untrusted');
    const warning = lines.map((line) => JSON.parse(line) as { level: number; revision?: string; msg: string }).find((entry) => entry.level === 40);
    expect(warning).toMatchObject({ revision: sha, msg: expect.stringContaining(signer('sshStranger').fingerprint) });
    agent.close();
  });

  it('under off, does not look at signatures', async () => {
    const agent = source({ mode: 'off' });
    await commit();
    expect((await agent.snapshot()).signature).toBeUndefined();
    agent.close();
  });
});
