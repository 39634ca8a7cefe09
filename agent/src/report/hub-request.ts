import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export interface HubRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent as it is; `content-length` is set from it. */
  body?: string;
  /** The connection pool (keep-alive, CA certificates); node's global agent without it. */
  agent?: HttpAgent | HttpsAgent;
  /** A socket idle for this long fails the request. */
  idleTimeoutMs?: number;
  /** Aborting it fails the request with the signal's reason, as `fetch` does. */
  signal?: AbortSignal;
}

export interface HubResponse {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  text: string;
}

/**
 * One request to the hub API on `node:http`/`node:https`, the whole answer read as text.
 * The agent talks to the hub this way rather than with `fetch`, whose HTTP client (undici,
 * loaded on first use) would stay in the agent's memory for as long as it runs. Rejects
 * when the hub cannot be reached or the request is aborted or times out.
 */
export function hubRequest(url: URL, options: HubRequest): Promise<HubResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const abort = () => {
      outgoing.destroy(signal!.reason as Error);
      reject(signal!.reason);
    };
    const settle = <T>(then: (value: T) => void) => (value: T) => {
      signal?.removeEventListener('abort', abort);
      then(value);
    };
    const headers = options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) };
    const outgoing = request(url, {
      method: options.method, headers,
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.idleTimeoutMs === undefined ? {} : { timeout: options.idleTimeoutMs }),
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', settle(() => {
        const status = incoming.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status <= 299, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') });
      }));
      incoming.on('error', settle(reject));
    });
    signal?.addEventListener('abort', abort, { once: true });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${options.idleTimeoutMs} ms`)));
    outgoing.on('error', settle(reject));
    outgoing.end(options.body);
  });
}

/**
 * What to do about an answer that redirects, or undefined when it does not. The agent does
 * not follow a redirect: its token would go to an address its configuration does not name.
 * The new address is shown without its query, which may carry a secret.
 */
export function redirectAdvice(status: number, location: string | string[] | undefined): string | undefined {
  if (status < 300 || status > 399 || status === 304) return undefined;
  const target = Array.isArray(location) ? location[0] : location;
  const where = target ? addressOf(target) : 'an address it does not give';
  return `the hub answered ${status}, a redirect to ${where}; the agent does not follow redirects with its token: set the hub URL in the agent's configuration to the hub's address`;
}

function addressOf(location: string): string {
  try {
    const url = new URL(location, 'relative:/');
    return url.protocol === 'relative:' ? `the path ${url.pathname}` : `${url.origin}${url.pathname}`;
  } catch {
    return 'an address that is not a URL';
  }
}

/** The body as JSON; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
