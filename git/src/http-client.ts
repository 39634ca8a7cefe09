import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

export interface GitHttpClientOptions {
  /** PEM certificates trusted in addition to the system roots. */
  caPem?: string;
  /** Abort a request when the socket is idle this long (ms). */
  timeoutMs: number;
}

const USER_AGENT = 'git/netfleet';

/** isomorphic-git's HTTP transport plus a way to free its pooled connections. */
export interface GitHttpClient extends HttpClient {
  close(): void;
}

/**
 * An isomorphic-git HTTP client on node:http/node:https. It exists because the bundled
 * node client cannot take a CA bundle; it also keeps connections alive between the
 * ref discovery and the pack request of one fetch.
 */
export function createGitHttpClient(options: GitHttpClientOptions): GitHttpClient {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new HttpsAgent({
    keepAlive: true,
    maxSockets: 4,
    ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
  });

  async function request({ url, method = 'GET', headers = {}, body, signal }: GitHttpRequest): Promise<GitHttpResponse> {
    const payload = body ? await collect(body) : undefined;
    const https = url.startsWith('https:');
    const send = https ? httpsRequest : httpRequest;
    // Hosting services recognise git clients by a `git/` user agent.
    const requestHeaders = { 'User-Agent': USER_AGENT, ...headers, ...(payload ? { 'Content-Length': String(payload.byteLength) } : {}) };

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method, headers: requestHeaders, agent: https ? httpsAgent : httpAgent, signal }, resolve);
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error(`no response within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.once('error', reject);
      req.end(payload);
    });
    response.setTimeout(options.timeoutMs, () => response.destroy(Object.assign(new Error(`response stalled for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));

    return {
      url,
      method,
      statusCode: response.statusCode ?? 0,
      statusMessage: response.statusMessage ?? '',
      headers: flattenHeaders(response.headers),
      body: response[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
    };
  }

  return {
    request,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

async function collect(body: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
