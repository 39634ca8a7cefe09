import { readFile } from 'node:fs/promises';
import { GitErrorCode, GitSourceError } from './errors.js';

/** Where a secret comes from; its value is never part of the configuration itself. */
export type SecretSource =
  /** A file holding the secret (trailing newline ignored), e.g. a mounted Kubernetes Secret. */
  | { file: string }
  /** An environment variable holding the secret. */
  | { env: string };

/** How the agent authenticates to the git server. */
export type GitAuthOptions =
  /**
   * An access token, sent as HTTP basic auth with `username` (default `x-access-token`)
   * and the token as password, as GitHub, GitLab and Gitea accept it.
   */
  | { token: SecretSource; username?: string }
  /** A user name and password (or app password). */
  | { username: string; password: SecretSource }
  /**
   * An SSH private key (a deploy key), OpenSSH or PEM, for `ssh://` and `user@host:path`
   * URLs; `passphrase` when the key is encrypted. The user name comes from the URL.
   */
  | { sshKey: SecretSource; passphrase?: SecretSource };

const DEFAULT_TOKEN_USERNAME = 'x-access-token';

/** Request headers (or the SSH key) that carry the credentials, plus a scrubber that hides them in text. */
export interface LoadedCredentials {
  headers: Record<string, string>;
  sshKey?: { privateKey: string; passphrase?: string };
  /** Replace every form of the secret (plain, basic-auth base64) in `text` with `[hidden]`. */
  scrub(text: string): string;
}

/** No credentials: nothing to send, nothing to hide. */
export const ANONYMOUS: LoadedCredentials = { headers: {}, scrub: (text) => text };

/**
 * Read the secret now (files are re-read on every call, so a rotated token is picked up)
 * and build the `Authorization` header. Sent up front so a request costs one round trip.
 */
export async function loadCredentials(auth: GitAuthOptions | undefined): Promise<LoadedCredentials> {
  if (!auth) return ANONYMOUS;
  if ('sshKey' in auth) {
    const privateKey = `${await readSecret(auth.sshKey, 'SSH key')}\n`;
    const passphrase = auth.passphrase ? await readSecret(auth.passphrase, 'SSH key passphrase') : undefined;
    return {
      headers: {},
      sshKey: { privateKey, ...(passphrase !== undefined ? { passphrase } : {}) },
      scrub: (text) => (passphrase ? text.split(passphrase).join('[hidden]') : text),
    };
  }
  const [username, secret] = 'token' in auth
    ? [auth.username ?? DEFAULT_TOKEN_USERNAME, await readSecret(auth.token, 'token')]
    : [auth.username, await readSecret(auth.password, 'password')];
  const encoded = Buffer.from(`${username}:${secret}`).toString('base64');
  const forms = [secret, encoded].filter((form) => form.length > 0);
  return {
    headers: { Authorization: `Basic ${encoded}` },
    scrub: (text) => forms.reduce((result, form) => result.split(form).join('[hidden]'), text),
  };
}

async function readSecret(source: SecretSource, what: string): Promise<string> {
  if ('env' in source) {
    const value = process.env[source.env];
    if (!value) {
      throw new GitSourceError(GitErrorCode.AuthFailed, `The git ${what} environment variable ${source.env} is not set or empty`, {
        hint: `Set ${source.env}, or point the ${what} at a file.`,
      });
    }
    return value.trim();
  }
  let value: string;
  try {
    value = (await readFile(source.file, 'utf8')).trim();
  } catch (error) {
    throw new GitSourceError(GitErrorCode.AuthFailed, `The git ${what} file ${source.file} cannot be read`, {
      hint: 'Check that the secret is mounted at this path and readable by the agent.',
      cause: new Error((error as NodeJS.ErrnoException).code ?? 'read failed'),
    });
  }
  if (!value) {
    throw new GitSourceError(GitErrorCode.AuthFailed, `The git ${what} file ${source.file} is empty`, {
      hint: 'Write the secret into the file.',
    });
  }
  return value;
}
