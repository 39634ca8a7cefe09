import { request, type RequestOptions } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import { rootCertificates, type TLSSocket } from 'node:tls';
import pLimit from 'p-limit';
import { ProbeOutcome, type ProbeResult } from '@netfleet/shared/protocol/links';

/**
 * Actively probes a peer's public metadata endpoint
 * (`https://istio.<peer domain>/metadata/public/public.json`), the same URL DKP's discovery
 * hook fetches first: HTTP status, latency, the serving certificate's expiry and the
 * peer's `clusterUUID`. The prober remembers the last identity of each peer, so a peer
 * that was rebuilt (new UUID) is reported as such from then on.
 */

/** Where to connect instead of resolving a host name (`curl --connect-to`). */
export interface ConnectTarget {
  address: string;
  port: number;
}

export interface ProbeOptions {
  /**
   * Deadline of one probe, connection to last byte, in ms.
   * @defaultValue 5000
   */
  timeoutMs: number;
  /**
   * Probes in flight at once.
   * @defaultValue 8
   */
  concurrency: number;
  /** Extra PEM certificates trusted besides the public roots (the agent's CA bundle). */
  caBundle?: string;
  /**
   * Host name → address and port to connect to instead of DNS and port 443; TLS still
   * checks the certificate against the host name.
   */
  connectTo?: ReadonlyMap<string, ConnectTarget>;
  /**
   * Largest body read, in bytes; bigger bodies count as invalid metadata.
   * @defaultValue 65536
   */
  maxBodyBytes: number;
  /** The clock. @defaultValue () => new Date() */
  now: () => Date;
}

export function defaultProbeOptions(): ProbeOptions {
  return { timeoutMs: 5_000, concurrency: 8, maxBodyBytes: 64 * 1024, now: () => new Date() };
}

/** One endpoint to probe, as its IstioFederation / IstioMulticluster spec describes it. */
export interface ProbeTarget {
  /** `spec.metadataEndpoint`. */
  metadataEndpoint: string;
  /** `spec.metadata.ca`: trusted for this endpoint only. */
  ca?: string;
  /** `spec.metadata.insecureSkipVerify`. */
  insecureSkipVerify?: boolean;
}

/** The public metadata URL under a metadata endpoint, or undefined for non-HTTPS endpoints. */
export function publicMetadataUrl(metadataEndpoint: string): URL | undefined {
  let base: URL;
  try {
    base = new URL(metadataEndpoint.endsWith('/') ? metadataEndpoint : `${metadataEndpoint}/`);
  } catch {
    return undefined;
  }
  return base.protocol === 'https:' ? new URL('public/public.json', base) : undefined;
}

interface Identity {
  clusterUUID: string;
  previousClusterUUID?: string;
  changedAt?: string;
}

const DAY_MS = 86_400_000;

export class MetadataProber {
  readonly #options: ProbeOptions;
  readonly #limit: ReturnType<typeof pLimit>;
  /** Last identity seen per peer host. */
  readonly #identities = new Map<string, Identity>();

  constructor(options: Partial<ProbeOptions> = {}) {
    this.#options = { ...defaultProbeOptions(), ...options };
    this.#limit = pLimit(this.#options.concurrency);
  }

  /** Probes every target (at most `concurrency` at once); results in target order. */
  probeAll(targets: readonly ProbeTarget[]): Promise<(ProbeResult | undefined)[]> {
    return Promise.all(targets.map((target) => this.#limit(() => this.probe(target))));
  }

  /** Probes one target; undefined when the endpoint is not HTTPS (a `file://` endpoint). */
  async probe(target: ProbeTarget): Promise<ProbeResult | undefined> {
    const url = publicMetadataUrl(target.metadataEndpoint);
    if (!url) return undefined;
    const probedAt = this.#options.now();
    const started = performance.now();
    const response = await this.#fetch(url, target);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const result: ProbeResult = { url: url.href, outcome: response.outcome, probedAt: probedAt.toISOString(), latencyMs };
    if (response.status !== undefined) result.httpStatus = response.status;
    if (response.notAfter) {
      result.certificateExpiresAt = response.notAfter.toISOString();
      result.certificateDaysLeft = Math.floor((response.notAfter.getTime() - probedAt.getTime()) / DAY_MS);
    }
    if (response.error) result.error = response.error.slice(0, 1024);
    if (response.outcome === ProbeOutcome.Ok && response.body !== undefined) {
      this.#readMetadata(url.hostname, response.body, result);
    }
    const identity = this.#identities.get(url.hostname);
    if (identity?.previousClusterUUID) {
      result.previousClusterUUID = identity.previousClusterUUID;
      if (identity.changedAt) result.clusterUUIDChangedAt = identity.changedAt;
    }
    return result;
  }

  /** Parses the metadata and records the peer's identity. */
  #readMetadata(host: string, body: string, result: ProbeResult): void {
    let metadata: unknown;
    try {
      metadata = JSON.parse(body);
    } catch {
      result.outcome = ProbeOutcome.InvalidJson;
      result.error = 'public.json is not JSON';
      return;
    }
    const clusterUUID = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).clusterUUID : undefined;
    if (typeof clusterUUID !== 'string' || clusterUUID === '') {
      result.outcome = ProbeOutcome.InvalidMetadata;
      result.error = 'public.json has no clusterUUID';
      return;
    }
    result.clusterUUID = clusterUUID;
    const known = this.#identities.get(host);
    if (!known) {
      this.#identities.set(host, { clusterUUID });
    } else if (known.clusterUUID !== clusterUUID) {
      this.#identities.set(host, { clusterUUID, previousClusterUUID: known.clusterUUID, changedAt: result.probedAt });
    }
  }

  #fetch(url: URL, target: ProbeTarget): Promise<RawResponse> {
    const override = this.#options.connectTo?.get(url.hostname);
    const extraCa = [this.#options.caBundle, target.ca].filter((pem): pem is string => Boolean(pem));
    const options: RequestOptions = {
      host: url.hostname,
      port: override?.port ?? (url.port ? Number(url.port) : 443),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      servername: url.hostname,
      headers: { accept: 'application/json', host: url.host },
      // Verified after the handshake (below), so an untrusted or expired certificate's expiry is still read.
      rejectUnauthorized: false,
      // A fresh connection per probe: latency and the certificate are measured every time.
      agent: false,
      ...(extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {}),
      ...(override ? { lookup: fixedLookup(override.address) } : {}),
    };
    return new Promise((resolve) => {
      let settled = false;
      let notAfter: Date | undefined;
      const finish = (response: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(notAfter ? { ...response, notAfter } : response);
      };
      const req = request(options, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          finish({ outcome: ProbeOutcome.HttpError, status, error: `HTTP ${status}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.#options.maxBodyBytes) {
            req.destroy();
            finish({ outcome: ProbeOutcome.InvalidMetadata, status, error: `public.json is larger than ${this.#options.maxBodyBytes} bytes` });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish({ outcome: ProbeOutcome.Ok, status, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => finish(classifyError(error)));
      });
      req.on('socket', (socket) => {
        socket.once('secureConnect', () => {
          const tls = socket as TLSSocket;
          notAfter = certificateExpiry(tls);
          // Refused before a response is read; the request itself carries nothing secret.
          if (!tls.authorized && !target.insecureSkipVerify) req.destroy(untrusted(tls.authorizationError));
        });
      });
      req.on('error', (error) => finish(classifyError(error)));
      const timer = setTimeout(() => {
        finish({ outcome: ProbeOutcome.Timeout, error: `no answer within ${this.#options.timeoutMs} ms` });
        req.destroy();
      }, this.#options.timeoutMs);
      req.end();
    });
  }
}

interface RawResponse {
  outcome: ProbeOutcome;
  status?: number;
  body?: string;
  notAfter?: Date;
  error?: string;
}

function certificateExpiry(socket: TLSSocket): Date | undefined {
  const validTo = socket.getPeerCertificate?.()?.valid_to;
  if (!validTo) return undefined;
  const date = new Date(validTo);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The error of a certificate the handshake did not verify; `reason` is Node's code (`CERT_HAS_EXPIRED`, ...). */
function untrusted(reason: Error | string | undefined): Error & { code: string } {
  const code = (reason instanceof Error ? (reason as Error & { code?: string }).code ?? reason.message : reason) || 'ERR_TLS_CERT_UNTRUSTED';
  return Object.assign(new Error('the peer certificate is not trusted'), { code });
}

/** Node's TLS verification errors (`CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...). */
const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO/;

function classifyError(error: Error & { code?: string }): RawResponse {
  const code = error.code ?? '';
  const outcome = TLS_ERROR.test(code) ? ProbeOutcome.TlsError : ProbeOutcome.ConnectionFailed;
  return { outcome, error: code ? `${code}: ${error.message}` : error.message };
}

/** Resolves every name to one address; answers both lookup call styles Node uses. */
function fixedLookup(address: string): LookupFunction {
  const family = isIPv6(address) ? 6 : 4;
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}
