import { readFile, stat } from 'node:fs/promises';
import {
  NetfleetError, credentialsValidator, type Credentials, type ErrorResponse, type RegistrationRequest,
} from '@netfleet/shared';
import { writeFileDurably } from './durable-file.js';
import { hubRequest, parseJson, type HubResponse } from './hub-request.js';

export interface RegistrationOptions extends RegistrationRequest {
  /** Base URL of the hub API, e.g. `https://hub.example.com`. */
  hubUrl: string;
  /** One-time bootstrap token an admin created. */
  bootstrapToken: string;
  /** Request timeout. @defaultValue 10000 */
  timeoutMs?: number;
}

export interface RegisterOptions extends RegistrationOptions {
  /** Where the credentials are written (mode 0600). */
  credentialsFile: string;
}

/** Registration or credentials trouble; never carries a token or key in its message. */
export class RegistrationError extends NetfleetError {}

/**
 * Registers the cluster with the hub and saves the credentials it returns (report key and
 * API token) to a file only the agent's user can read.
 */
export async function register(options: RegisterOptions): Promise<Credentials> {
  const credentials = await requestCredentials(options);
  await saveCredentials(options.credentialsFile, credentials);
  return credentials;
}

/** Registers the cluster with the hub and returns its credentials, keeping them in memory only. */
export async function requestCredentials(options: RegistrationOptions): Promise<Credentials> {
  const url = new URL('/api/v1/register', options.hubUrl);
  const body: RegistrationRequest = { cluster: options.cluster, region: options.region, labels: options.labels ?? {} };
  let response: HubResponse;
  try {
    response = await hubRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.bootstrapToken}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new RegistrationError('AGENT_REGISTRATION_UNREACHABLE', `cannot reach the hub at ${url.origin}`, {
      hint: 'check the hub URL and that the hub is running', cause: error,
    });
  }
  const payload = parseJson(response.text);
  if (!response.ok) {
    const error = (payload as ErrorResponse | undefined)?.error;
    throw new RegistrationError(error?.code ?? 'AGENT_REGISTRATION_FAILED', `registration refused by the hub (HTTP ${response.status}): ${error?.message ?? 'no details'}`, {
      hint: error?.hint ?? 'ask the hub admin for a new bootstrap token',
    });
  }
  return credentialsValidator.assert(payload);
}

export async function saveCredentials(file: string, credentials: Credentials): Promise<void> {
  await writeFileDurably(file, credentialsText(credentials), 0o600);
}

/** The credentials file's content, as the agent reads it from a file or a mounted Secret. */
export function credentialsText(credentials: Credentials): string {
  return `${JSON.stringify(credentials, null, 2)}\n`;
}

/** Credentials from a file's (or Secret key's) content, checked; `source` names it in errors, which never quote the content. */
export function parseCredentials(text: string, source: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RegistrationError('AGENT_CREDENTIALS_INVALID', `${source} is not JSON`, { cause: error });
  }
  try {
    return credentialsValidator.assert(parsed);
  } catch (error) {
    throw new RegistrationError('AGENT_CREDENTIALS_INVALID', `${source}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads saved credentials; refuses a file others can read. */
export async function loadCredentials(file: string): Promise<Credentials> {
  const info = await stat(file).catch((error: unknown) => {
    throw new RegistrationError('AGENT_CREDENTIALS_MISSING', `no credentials file at ${file}`, {
      hint: 'register the cluster first (netfleet register)', cause: error,
    });
  });
  if ((info.mode & 0o077) !== 0) {
    throw new RegistrationError('AGENT_CREDENTIALS_EXPOSED', `credentials file ${file} is readable by other users (mode ${(info.mode & 0o777).toString(8)})`, {
      hint: `chmod 600 ${file}`,
    });
  }
  return parseCredentials(await readFile(file, 'utf8'), `credentials file ${file}`);
}
