/**
 * Fault injection: error rates per verb (500, 429 with Retry-After, 409), added latency,
 * cutting watch connections and taking the whole server down. Rates are deterministic
 * (`rate: 0.5` fails every second matching request) so tests can count on them.
 */
import { KubeStatusError, statusErrors } from './status.js';
import type { RequestAttributes } from './auth.js';

export interface ErrorFault {
  /** Verbs the fault applies to (get, list, watch, create, update, patch, delete, deletecollection); all when absent. */
  verbs?: string[];
  status: 500 | 429 | 409;
  /** Share of matching requests that fail, 0..1. */
  rate: number;
  /** Retry-After for 429 (default 1). */
  retryAfterSeconds?: number;
}

/** What the server lets the fault switches do to it. */
export interface FaultTargets {
  cutWatches(): void;
  setDown(down: boolean): Promise<void>;
}

/** The fault switches tests use (`kube.faults`). */
export interface KubeFaults {
  /** Adds an error fault, replacing one set before for the same verbs. */
  set(fault: ErrorFault): void;
  /** Delays every request by this many milliseconds (0 turns it off). */
  latency(ms: number): void;
  /** Closes every open watch connection (clients see the stream end). */
  cutWatches(): void;
  /** Stops (true) or resumes (false) accepting connections on the same port; open ones are dropped. */
  down(down: boolean): Promise<void>;
  /** Removes error faults and latency and brings the server back up. */
  clear(): Promise<void>;
}

interface ActiveFault extends ErrorFault {
  seen: number;
}

export class FaultInjector implements KubeFaults {
  private errors: ActiveFault[] = [];
  private latencyMs = 0;

  constructor(private readonly targets: FaultTargets) {}

  /** Adds an error fault, replacing one set before for the same verbs. */
  set(fault: ErrorFault): void {
    const key = (verbs?: string[]) => JSON.stringify([...(verbs ?? [])].sort());
    this.errors = this.errors.filter((existing) => key(existing.verbs) !== key(fault.verbs));
    this.errors.push({ ...fault, seen: 0 });
  }

  /** Delays every request by this many milliseconds (0 turns it off). */
  latency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Closes every open watch connection (clients see the stream end). */
  cutWatches(): void {
    this.targets.cutWatches();
  }

  /** Stops (true) or resumes (false) accepting connections on the same port; open ones are dropped. */
  down(down: boolean): Promise<void> {
    return this.targets.setDown(down);
  }

  /** Removes error faults and latency and brings the server back up. */
  async clear(): Promise<void> {
    this.errors = [];
    this.latencyMs = 0;
    await this.targets.setDown(false);
  }

  currentLatency(): number {
    return this.latencyMs;
  }

  /** The injected failure for this request, if its turn has come. */
  errorFor(attributes: RequestAttributes): KubeStatusError | undefined {
    for (const fault of this.errors) {
      if (fault.verbs && !fault.verbs.includes(attributes.verb)) continue;
      const before = Math.floor(fault.seen * fault.rate);
      fault.seen += 1;
      if (Math.floor(fault.seen * fault.rate) === before) continue;
      if (fault.status === 429) return statusErrors.tooManyRequests(fault.retryAfterSeconds ?? 1);
      if (fault.status === 409) {
        return statusErrors.conflict(attributes.resource, attributes.group, attributes.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again');
      }
      return new KubeStatusError(500, 'InternalError', 'Internal error occurred: injected fault');
    }
    return undefined;
  }
}
