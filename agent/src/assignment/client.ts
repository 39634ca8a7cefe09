import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  AssignmentResponseSchema, NetfleetError, compileValidator, createLogger,
  type AssignmentView, type ErrorResponse, type Logger,
} from '@netfleet/shared';
import { hubRequest, parseJson, redirectAdvice, type HubResponse } from '../report/hub-request.js';
import { loadCredentials } from '../report/registration.js';
import { SavedAssignment } from './saved.js';

const responseValidator = compileValidator('assignment response', AssignmentResponseSchema);

/** What the client drives: `AgentDaemon.assign`. */
export interface AssignmentTarget {
  assign(revision: string | undefined, options?: { again?: boolean }): void;
}

export interface AssignmentClientOptions {
  /** Base URL of the hub API, e.g. `https://hub.example.com`. */
  hubUrl: string;
  /** The credentials file written at registration; its `apiToken` authenticates the requests. */
  credentialsFile: string;
  /** Where the last assignment is kept across restarts (mode 0600). */
  stateFile: string;
  /**
   * Seconds the hub may hold one request open waiting for a change.
   * @defaultValue 30
   */
  waitSeconds?: number;
  /**
   * First retry delay after a failed request; doubles per failure, with full jitter.
   * @defaultValue 500
   */
  retryBaseMs?: number;
  /**
   * Longest retry delay.
   * @defaultValue 30000
   */
  retryMaxMs?: number;
  /** @defaultValue a logger named `agent` */
  logger?: Logger;
}

type ResolvedOptions = Required<AssignmentClientOptions>;

function withDefaults(options: AssignmentClientOptions): ResolvedOptions {
  return {
    waitSeconds: 30, retryBaseMs: 500, retryMaxMs: 30_000, logger: createLogger({ name: 'agent' }), ...options,
  };
}

/** The hub refused or could not answer an assignment request; never carries the token. */
export class AssignmentError extends NetfleetError {}

/**
 * Follows the revision the hub assigns this cluster: long-polls `GET /api/v1/assignment`
 * with the cluster's own API token and hands every new assignment to the daemon. The last
 * assignment is saved before it is applied, and restored at start, so an agent that cannot
 * reach the hub keeps running what it was told. Failed requests are retried with
 * exponential backoff and full jitter, for as long as the client runs.
 */
export class AssignmentClient {
  readonly #options: ResolvedOptions;
  readonly #target: AssignmentTarget;
  readonly #saved: SavedAssignment;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  /** One kept-alive connection for the long polls. */
  readonly #connections: HttpAgent | HttpsAgent;
  #current: AssignmentView | undefined;
  #token: string | undefined;
  #loop: Promise<void> | undefined;
  /** Whether the hub has answered a request yet. */
  #answered = false;
  /** Resolved once the first request to the hub ended, answered or not. */
  readonly #firstAttempt: Promise<void>;
  #firstAttemptEnded: () => void = () => undefined;

  constructor(target: AssignmentTarget, options: AssignmentClientOptions) {
    this.#options = withDefaults(options);
    this.#target = target;
    this.#saved = new SavedAssignment(this.#options.stateFile);
    this.#logger = this.#options.logger.child({ component: 'assignment' });
    this.#connections = new URL(this.#options.hubUrl).protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.#firstAttempt = new Promise((resolve) => (this.#firstAttemptEnded = resolve));
  }

  /** The assignment being applied; undefined before the first one. */
  get current(): AssignmentView | undefined {
    return this.#current;
  }

  /**
   * Restores the saved assignment (pinning the daemon to it before its first sync), then
   * starts following the hub. Call before `AgentDaemon.start()`.
   */
  async start(): Promise<void> {
    try {
      const saved = await this.#saved.load();
      if (saved) {
        this.#current = saved;
        this.#target.assign(saved.revision);
        this.#logger.info({ revision: saved.revision, rollout: saved.rolloutId, attempt: saved.attempt }, 'restored the saved assignment');
      }
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message, file: this.#options.stateFile }, 'ignoring an unreadable saved assignment');
    }
    this.#loop = this.#run();
  }

  /**
   * Waits until the hub answered the first request (and its assignment was handed to the
   * daemon), or that request failed, or `timeoutMs` passed: a one-off sync (`--once`) then
   * applies what the hub assigns now rather than what was saved. True when the hub answered.
   */
  async settled(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.#firstAttempt, timedOut]);
    clearTimeout(timer);
    return this.#answered;
  }

  /** Stops waiting on the hub; the daemon keeps the last assignment. */
  async close(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    this.#connections.destroy();
  }

  async #run(): Promise<void> {
    let failures = 0;
    // The first request does not wait for a change: it learns where the hub stands now.
    let waitSeconds = 0;
    while (!this.#stopping.signal.aborted) {
      try {
        const answer = await this.#request(waitSeconds);
        failures = 0;
        waitSeconds = this.#options.waitSeconds;
        if (answer !== 'unchanged') await this.#apply(answer);
        this.#answered = true;
        this.#firstAttemptEnded();
      } catch (error) {
        this.#firstAttemptEnded();
        if (this.#stopping.signal.aborted) return;
        failures += 1;
        const delayMs = backoffDelay(failures, this.#options.retryBaseMs, this.#options.retryMaxMs);
        const code = error instanceof NetfleetError ? error.code : undefined;
        this.#logger.warn({ err: (error as Error).message, code, failures, retryInMs: Math.round(delayMs), revision: this.#current?.revision },
          'cannot get the assignment from the hub; keeping the last one');
        await sleep(delayMs, this.#stopping.signal);
      }
    }
  }

  /** One long-poll: the new assignment (null: the hub has none for this cluster yet), or `unchanged`. */
  async #request(waitSeconds: number): Promise<AssignmentView | null | 'unchanged'> {
    const url = new URL('/api/v1/assignment', this.#options.hubUrl);
    url.searchParams.set('wait', `${waitSeconds}s`);
    const headers: Record<string, string> = { authorization: `Bearer ${await this.#apiToken()}` };
    if (this.#current) headers['if-none-match'] = `"${this.#current.tag}"`;
    // The hub answers within waitSeconds; a request still open long after is a dead connection.
    const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout((waitSeconds + 15) * 1000)]);
    let response: HubResponse;
    try {
      response = await hubRequest(url, { method: 'GET', headers, signal, agent: this.#connections });
    } catch (error) {
      throw new AssignmentError('AGENT_HUB_UNREACHABLE', `cannot reach the hub at ${url.origin}: ${(error as Error).message}`, {
        hint: 'check the hub URL and that the hub is running; the agent keeps its last assignment meanwhile', cause: error,
      });
    }
    if (response.status === 304) return 'unchanged';
    const redirect = redirectAdvice(response.status, response.headers.location);
    if (redirect) throw new AssignmentError('AGENT_HUB_REDIRECTED', redirect, { hint: 'the agent keeps its last assignment meanwhile' });
    const payload = parseJson(response.text);
    if (!response.ok) {
      // A rotated token is picked up from the credentials file on the next attempt.
      if (response.status === 401 || response.status === 403) this.#token = undefined;
      const error = (payload as ErrorResponse | undefined)?.error;
      throw new AssignmentError(error?.code ?? 'AGENT_ASSIGNMENT_FAILED', `the hub refused the assignment request (HTTP ${response.status}): ${error?.message ?? 'no details'}`, {
        hint: error?.hint ?? 'check the cluster\'s credentials file (netfleet register)',
      });
    }
    return responseValidator.assert(payload).assignment;
  }

  async #apiToken(): Promise<string> {
    this.#token ??= (await loadCredentials(this.#options.credentialsFile)).apiToken;
    return this.#token;
  }

  /** Saves, then applies, an assignment that differs from the current one. */
  async #apply(assignment: AssignmentView | null): Promise<void> {
    const current = this.#current;
    // Null: no rollout covered this cluster yet; it keeps what it runs.
    if (assignment === null || current?.tag === assignment.tag) return;
    const log = this.#logger.child({ revision: assignment.revision, rollout: assignment.rolloutId, attempt: assignment.attempt });
    try {
      await this.#saved.save(assignment);
    } catch (error) {
      log.warn({ err: (error as Error).message, file: this.#options.stateFile }, 'cannot save the assignment; a restart without the hub would not restore it');
    }
    this.#current = assignment;
    // The same revision under a new tag is a retry (or a new rollout of it): apply it again.
    this.#target.assign(assignment.revision, { again: current?.revision === assignment.revision });
    log.info({ reason: assignment.reason }, 'applying the assigned revision');
  }
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base · 2^(failures-1))]. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return random() * Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
