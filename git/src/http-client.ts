import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

export interface GitHttpClientOptions {
  /** PEM certificates trusted in addition to the system roots. */
  caPem?: string;
  /** Abort a request when the socket is idle this long (ms). */
  timeoutMs: number;
}

export interface GitHttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer;
  /** Aborts the request and its response (a deadline, the agent stopping). */
  signal?: AbortSignal;
}

/** One HTTP exchange: the answer's status and headers, and its body as a stream. */
export interface GitHttpClient {
  request(request: GitHttpRequest): Promise<IncomingMessage>;
  /** Free pooled connections. */
  close(): void;
}

/** Hosting services recognise git clients by a `git/` user agent. */
const USER_AGENT = 'git/netfleet';
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 4 };
/** How a request fails that was written to a kept-alive connection the server had just closed. */
const IDLE_CLOSE_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * HTTP(S) requests with a CA bundle, idle timeouts, pooled connections, and the proxy the
 * environment names: `https_proxy`/`HTTPS_PROXY` (HTTP CONNECT tunnel), `http_proxy`/
 * `HTTP_PROXY` (absolute-form requests) and `no_proxy`/`NO_PROXY`, read per request as
 * git and curl do (proxy-from-env).
 */
export function createGitHttpClient(options: GitHttpClientOptions): GitHttpClient {
  const tlsOptions = options.caPem ? { ca: [...rootCertificates, options.caPem] } : {};
  const direct = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent({ ...AGENT_OPTIONS, ...tlsOptions }) };
  const proxied = new Map<string, HttpAgent>();

  function agentFor(url: string, https: boolean): HttpAgent {
    const proxy = getProxyForUrl(url);
    if (!proxy) return https ? direct.https : direct.http;
    const key = `${https ? 'https' : 'http'} ${proxy}`;
    let agent = proxied.get(key);
    if (!agent) {
      agent = https ? new HttpsProxyAgent(proxy, AGENT_OPTIONS) : new HttpProxyAgent(proxy, AGENT_OPTIONS);
      proxied.set(key, agent);
    }
    return agent;
  }

  /** One try; undefined when it went out on a pooled connection the server had closed meanwhile. */
  function attempt({ url, method, headers, body, signal }: GitHttpRequest): Promise<IncomingMessage | undefined> {
    const https = url.startsWith('https:');
    const send = https ? httpsRequest : httpRequest;
    const requestHeaders = { 'User-Agent': USER_AGENT, ...headers, ...(body ? { 'Content-Length': String(body.byteLength) } : {}) };
    return new Promise((resolve, reject) => {
      // The CA goes with each request too: a proxy agent passes it on to the TLS tunnel.
      const req = send(url, { method, headers: requestHeaders, agent: agentFor(url, https), signal, ...(https ? tlsOptions : {}) }, resolve);
      req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error(`no response within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.once('error', (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && IDLE_CLOSE_CODES.has(error.code ?? '')) resolve(undefined);
        else reject(error);
      });
      req.end(body);
    });
  }

  async function request(request: GitHttpRequest): Promise<IncomingMessage> {
    // A server closes an idle kept-alive connection when it likes; a request that goes out
    // on it just then fails before any answer, though the server is fine. git (curl) sends
    // it again on a new connection, and so does this (git's requests only read): each retry
    // drops one pooled connection, and a failure on a new connection is final.
    for (;;) {
      const response = await attempt(request);
      if (!response) continue;
      response.setTimeout(options.timeoutMs, () => response.destroy(Object.assign(new Error(`response stalled for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      return response;
    }
  }

  return {
    request,
    close() {
      direct.http.destroy();
      direct.https.destroy();
      for (const agent of proxied.values()) agent.destroy();
      proxied.clear();
    },
  };
}

/** Read and drop a body so its connection can be reused. */
export async function drain(response: IncomingMessage): Promise<void> {
  for await (const _chunk of response) { /* discard */ }
}
