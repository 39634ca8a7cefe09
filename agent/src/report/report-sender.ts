import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { REPORTS_PATH, type ErrorResponse, type ReportRefusal } from '@netfleet/shared';
import { hubRequest, parseJson, redirectAdvice, type HubResponse } from './hub-request.js';

export interface ReportSenderOptions {
  /** Base URL of the hub API, e.g. `https://hub.example.com`. */
  hubUrl: string;
  /** PEM CA certificates trusted for the hub (in addition to the system's). */
  ca?: string;
  /** A request that takes longer counts as failed. */
  timeoutMs: number;
}

/** What became of one request; `retry` keeps the reports spooled. */
export type SendOutcome =
  | { kind: 'accepted'; queued: number; refused: ReportRefusal[] }
  /** Not now: the hub is away, behind (`afterMs` from Retry-After), or refused the token. */
  | { kind: 'retry'; status: number | undefined; afterMs?: number; message: string }
  /** The request as such was refused (413 body too large, 400 invalid): sending it again cannot help. */
  | { kind: 'refused'; status: number; message: string };

/** Longest Retry-After honoured; a larger value is taken as this. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Posts report batches to the hub API over one kept-alive connection pool, with the
 * cluster's API token. Never throws: every failure is an outcome.
 */
export class ReportSender {
  private readonly url: URL;
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(private readonly options: ReportSenderOptions) {
    this.url = new URL(REPORTS_PATH, options.hubUrl);
    this.agent = this.url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: 2, ...(options.ca ? { ca: options.ca } : {}) })
      : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  }

  /** Sends `body` (`{"reports":[...]}`) with the bearer `token`. */
  async send(body: string, token: string): Promise<SendOutcome> {
    let response: HubResponse;
    try {
      response = await hubRequest(this.url, {
        method: 'POST', agent: this.agent, idleTimeoutMs: this.options.timeoutMs, body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
    } catch (error) {
      return { kind: 'retry', status: undefined, message: `cannot reach the hub at ${this.url.origin}: ${(error as Error).message}` };
    }
    return sendOutcome(response);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What the hub's answer to a report request means for the reports in it (kept spooled on `retry`). */
export function sendOutcome({ status, headers, text }: Pick<HubResponse, 'status' | 'text'> & { headers: Record<string, string | string[] | undefined> }): SendOutcome {
  if (status === 202) {
    const accepted = parseJson(text) as { queued?: number; refused?: ReportRefusal[] } | undefined;
    return { kind: 'accepted', queued: accepted?.queued ?? 0, refused: accepted?.refused ?? [] };
  }
  const error = (parseJson(text) as ErrorResponse | undefined)?.error;
  const message = redirectAdvice(status, headers.location) ?? `the hub answered ${status}${error ? ` ${error.code}: ${error.message}` : ''}`;
  if (status === 400 || status === 413) return { kind: 'refused', status, message };
  const afterMs = retryAfterMs(headers['retry-after']);
  return { kind: 'retry', status, message, ...(afterMs === undefined ? {} : { afterMs }) };
}

/** `Retry-After` as milliseconds (delay-seconds or an HTTP date, RFC 9110 §10.2.3), bounded. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
