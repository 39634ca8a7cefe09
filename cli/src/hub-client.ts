import { readFile } from 'node:fs/promises';
import { NetfleetError, describeFileError, type ErrorResponse } from '@netfleet/shared';
import { printable } from './terminal.js';

/** Where the hub is and which token to use: flags, then NETFLEET_HUB_URL / NETFLEET_HUB_TOKEN(_FILE). */
export interface HubClientOptions {
  hubUrl?: string;
  token?: string;
  tokenFile?: string;
}

/** A small client of the hub API; errors in the hub's error format become NetfleetErrors. */
export class HubClient {
  private constructor(private readonly base: string, private readonly token: string) {}

  static async create(options: HubClientOptions, env: NodeJS.ProcessEnv = process.env): Promise<HubClient> {
    const base = options.hubUrl ?? env.NETFLEET_HUB_URL;
    if (!base) throw new NetfleetError('CLI_HUB_URL_MISSING', 'no hub URL given', { hint: 'pass --hub-url or set NETFLEET_HUB_URL' });
    const url = parseHubUrl(base, options.hubUrl === undefined ? 'NETFLEET_HUB_URL' : '--hub-url');
    const tokenFile = options.tokenFile ?? env.NETFLEET_HUB_TOKEN_FILE;
    const tokenFileFlag = options.tokenFile === undefined ? 'NETFLEET_HUB_TOKEN_FILE' : '--token-file';
    const token = options.token ?? env.NETFLEET_HUB_TOKEN ?? (tokenFile ? await readTokenFile(tokenFile, tokenFileFlag) : undefined);
    if (!token) throw new NetfleetError('CLI_HUB_TOKEN_MISSING', 'no hub token given', { hint: 'pass --token-file or set NETFLEET_HUB_TOKEN' });
    return new HubClient(url, token);
  }

  /** A client speaking with `token` (a cluster's own API token, say) to the hub at `hubUrl`. */
  static withToken(hubUrl: string, token: string): HubClient {
    return new HubClient(parseHubUrl(hubUrl, '--hub-url'), token);
  }

  async get<T>(path: string, query: Record<string, string | string[] | undefined> = {}): Promise<T> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) url.searchParams.append(key, item);
    }
    return this.request<T>(url, { method: 'GET' });
  }

  /** POSTs a JSON body. */
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>(new URL(path, this.base), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async request<T>(url: URL, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      throw new NetfleetError('CLI_HUB_UNREACHABLE', `cannot reach the hub at ${url.origin}`, { hint: 'check --hub-url and that the hub runs', cause: error });
    }
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok) {
      const error = (body as ErrorResponse | undefined)?.error;
      throw new NetfleetError(error?.code ?? 'CLI_HUB_ERROR', error?.message ?? `the hub answered HTTP ${response.status}`, { hint: error?.hint });
    }
    return body as T;
  }
}

/** The hub's base URL from `--hub-url` (or the variable named by `source`), refused unless http(s). */
export function parseHubUrl(value: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new NetfleetError('CLI_HUB_URL_INVALID', `${source} is "${value}"; expected an http:// or https:// URL`, { hint: `e.g. ${source === '--hub-url' ? '--hub-url ' : `${source}=`}https://netfleet-hub.example.com` });
  }
  return url.href;
}

/** The trimmed content of a token file named by `source` (a flag or variable). */
export async function readTokenFile(path: string, source: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new NetfleetError('CLI_FILE_UNREADABLE', `cannot read ${path} (${source}): ${describeFileError(error)}`, { hint: `check ${source}`, cause: error });
  }
}

/** Prints rows as aligned columns; cells are made printable first (they come from the hub). */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `3m ago`-style age of an ISO time. */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
