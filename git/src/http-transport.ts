import type { IncomingMessage } from 'node:http';
import type { Logger } from '@netfleet/shared/log';
import { lsRefsRequest, readAdvertisement, readLsRefs, type Advertisement, type ProtocolVersion } from './advertisement.js';
import type { LoadedCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { drain, type GitHttpClient } from './http-client.js';
import { PktLineReader, ProtocolError } from './pkt-line.js';
import type { RefListing, Transport } from './transport.js';

/** The server answered with an HTTP error status. */
export class HttpStatusError extends Error {
  constructor(readonly statusCode: number, statusMessage: string) {
    super(`HTTP ${statusCode} ${statusMessage}`);
  }
}

const DISCOVERY_PATH = '/info/refs?service=git-upload-pack';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** As many redirects as a chain of moves plausibly needs; a loop ends here. */
const MAX_REDIRECTS = 10;
const V2_HEADER = { 'Git-Protocol': 'version=2' };

/**
 * git-upload-pack over smart HTTP (gitprotocol-http), stateless: each request stands alone.
 *
 * Redirects are followed as git does by default (`http.followRedirects=initial`): on the
 * ref discovery request only, and later requests go to the new location. Credentials go
 * with a redirect only to the same host name; a redirect to another host is refused when
 * credentials are configured, and so is a downgrade from https to http.
 *
 * Under protocol v2 the capability advertisement is kept, so a poll after the first costs
 * one `ls-refs` request; it is fetched again after any failure.
 */
export class HttpTransport implements Transport {
  private base: string;
  private v2Advertisement: Advertisement | undefined;

  constructor(url: string, private readonly http: GitHttpClient, private readonly log: Logger) {
    this.base = url.replace(/\/+$/, '');
  }

  async listRefs(prefix: string, credentials: LoadedCredentials, signal?: AbortSignal): Promise<RefListing> {
    try {
      const advertisement = this.v2Advertisement ?? await this.discover(credentials, signal);
      if (advertisement.version === 0) return { advertisement, refs: filterRefs(advertisement.refs, prefix) };
      this.v2Advertisement = advertisement;
      const reader = await this.uploadPack(lsRefsRequest(prefix, advertisement), 2, credentials, signal);
      return { advertisement, refs: await readWhole(reader, readLsRefs) };
    } catch (error) {
      this.v2Advertisement = undefined;
      throw error;
    }
  }

  async uploadPack(request: Buffer, version: ProtocolVersion, credentials: LoadedCredentials, signal?: AbortSignal): Promise<PktLineReader> {
    const response = await this.http.request({
      url: `${this.base}/git-upload-pack`,
      method: 'POST',
      headers: {
        ...credentials.headers,
        ...(version === 2 ? V2_HEADER : {}),
        'Content-Type': 'application/x-git-upload-pack-request',
        Accept: 'application/x-git-upload-pack-result',
      },
      body: request,
      signal,
    });
    await expectGitAnswer(response, 'application/x-git-upload-pack-result');
    return new PktLineReader(response);
  }

  close(): void {
    this.http.close();
  }

  /** GET the advertisement, following redirects; protocol v2 is asked for. */
  private async discover(credentials: LoadedCredentials, signal: AbortSignal | undefined): Promise<Advertisement> {
    let url = new URL(`${this.base}${DISCOVERY_PATH}`);
    const withCredentials = Object.keys(credentials.headers).length > 0;
    for (let redirects = 0; ; redirects++) {
      const response = await this.http.request({ url: url.href, method: 'GET', headers: { ...credentials.headers, ...V2_HEADER }, signal });
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || location === undefined) {
        await expectGitAnswer(response, 'application/x-git-upload-pack-advertisement');
        const advertisement = await readWhole(new PktLineReader(response), readAdvertisement);
        if (redirects > 0) this.moveTo(url);
        return advertisement;
      }
      await drain(response);
      const next = new URL(location, url);
      if (redirects === MAX_REDIRECTS) throw redirectRefused(url, next, `more than ${MAX_REDIRECTS} redirects`);
      refuseUnsafeRedirect(url, next, withCredentials);
      url = next;
    }
  }

  /** Later requests go where the discovery request was redirected to. */
  private moveTo(discoveredAt: URL): void {
    const href = `${discoveredAt.origin}${discoveredAt.pathname}${discoveredAt.search}`;
    if (!href.endsWith(DISCOVERY_PATH)) {
      throw new GitSourceError(GitErrorCode.GarbageResponse, `The repository redirected to ${displayUrl(discoveredAt)}, which is not a git repository address`, {
        hint: 'The redirect must keep the /info/refs?service=git-upload-pack ending; set the url to the repository\'s new address.',
      });
    }
    const base = href.slice(0, -DISCOVERY_PATH.length);
    if (base === this.base) return;
    this.log.warn({ from: this.base, to: base }, 'the git server redirects the repository; set the url to its new address');
    this.base = base;
  }
}

/**
 * One answer read with `read`, then to its end, so its kept-alive connection serves the next
 * request; an answer that fails to read is closed with its connection, not left to the timeout.
 */
async function readWhole<T>(reader: PktLineReader, read: (reader: PktLineReader) => Promise<T>): Promise<T> {
  try {
    const value = await read(reader);
    await reader.expectEnd();
    return value;
  } catch (error) {
    await reader.close();
    throw error;
  }
}

function filterRefs(refs: ReadonlyMap<string, string> | undefined, prefix: string): Map<string, string> {
  return new Map([...refs ?? []].filter(([name]) => name.startsWith(prefix)));
}

/** Throw for an error status, or for a body that is not the git protocol (a login page, a dumb server). */
async function expectGitAnswer(response: IncomingMessage, contentType: string): Promise<void> {
  if (response.statusCode !== 200) {
    await drain(response);
    throw new HttpStatusError(response.statusCode ?? 0, response.statusMessage ?? '');
  }
  const actual = response.headers['content-type'] ?? '';
  if (actual !== contentType) {
    response.resume();
    throw new ProtocolError(`unexpected content type "${actual}" (expected ${contentType})`);
  }
}

function refuseUnsafeRedirect(from: URL, to: URL, withCredentials: boolean): void {
  if (to.protocol !== 'https:' && to.protocol !== 'http:') throw redirectRefused(from, to, `the scheme ${to.protocol} is not http(s)`);
  if (from.protocol === 'https:' && to.protocol === 'http:') throw redirectRefused(from, to, 'it downgrades https to http');
  if (to.hostname !== from.hostname && withCredentials) throw redirectRefused(from, to, 'it leads to another host, and the credentials are only sent to the configured one');
}

function redirectRefused(from: URL, to: URL, reason: string): GitSourceError {
  return new GitSourceError(GitErrorCode.RedirectRefused, `${displayUrl(from)} redirects to ${displayUrl(to)}; not followed: ${reason}`, {
    hint: 'If the repository has moved, set the url to its new address.',
  });
}

/** A URL for messages: no user info, no query (either may carry a secret). */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
