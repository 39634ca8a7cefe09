import * as fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import git, { type AuthCallback } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { FsRepoReader, loadFleet, type Fleet, type Logger, type RolloutPolicy } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../errors.js';
import { PeriodicTask } from '../periodic-task.js';

/** Credentials for the fleet repository over HTTPS. */
export type RepoAuth = { username: string; password: string } | { token: string };

export interface RepoFollowerOptions {
  /** Clone URL of the fleet repository (HTTP or HTTPS). */
  url: string;
  /** The branch rollouts follow. @defaultValue `main` */
  branch?: string;
  /** How often the branch head is polled; webhooks make a new commit known sooner. @defaultValue 30000 */
  intervalMs?: number;
  /** The longest wait between polls after failures (the wait doubles per failure). @defaultValue 300000 */
  maxBackoffMs?: number;
  auth?: RepoAuth;
}

type ResolvedOptions = Required<Omit<RepoFollowerOptions, 'auth'>> & Pick<RepoFollowerOptions, 'auth'>;

function onAuth(auth: RepoAuth | undefined): AuthCallback | undefined {
  if (!auth) return undefined;
  return () => ('token' in auth ? { username: 'token', password: auth.token } : auth);
}

/**
 * Follows the fleet repository's branch: polls its head with one ref listing (no fetch), at
 * once when a push webhook wakes it, and hands every new head to `onHead` once. Failures
 * (server away, auth refused) are logged and retried with backoff; the follower never stops.
 */
export class RepoFollower {
  private readonly options: ResolvedOptions;
  private lastHead: string | undefined;
  private readonly loop: PeriodicTask;
  private handingOn: Promise<void> = Promise.resolve();

  constructor(options: RepoFollowerOptions, private readonly onHead: (revision: string) => Promise<void>, private readonly logger: Logger) {
    this.options = { branch: 'main', intervalMs: 30_000, maxBackoffMs: 300_000, ...options };
    this.loop = new PeriodicTask(() => this.poll(), {
      intervalMs: this.options.intervalMs,
      maxBackoffMs: this.options.maxBackoffMs,
      onError: (error, failures) => this.logger.warn({ err: error instanceof Error ? error.message : String(error), failures }, 'polling the fleet repository failed'),
    });
  }

  get ref(): string {
    return `refs/heads/${this.options.branch}`;
  }

  /** Reads the branch head; hands it on when it is new. Throws a HubError when the server cannot be read. */
  async poll(): Promise<string> {
    let refs: { ref: string; oid: string }[];
    try {
      refs = await git.listServerRefs({ http, url: this.options.url, prefix: this.ref, onAuth: onAuth(this.options.auth) });
    } catch (error) {
      throw new HubError(HubErrorCode.RepoUnreachable, `cannot list the refs of the fleet repository: ${(error as Error).message}`, {
        cause: error, hint: 'check the repository URL, the credentials and that the server is up',
      });
    }
    const head = refs.find((entry) => entry.ref === this.ref)?.oid;
    if (!head) throw new HubError(HubErrorCode.RepoUnreachable, `the fleet repository has no branch ${this.options.branch}`, { hint: 'check the branch the hub follows' });
    await this.seen(head);
    return head;
  }

  /**
   * A verified push webhook for `ref`: when it is the followed branch, polls now. The commit a
   * webhook names is never taken: a replayed or late delivery names an older one, while the
   * branch tip read from the server is always the newest.
   */
  wake(ref: string): boolean {
    if (ref !== this.ref) return false;
    this.loop.runSoon();
    return true;
  }

  start(): void {
    this.loop.start();
  }

  close(): Promise<void> {
    return this.loop.stop();
  }

  /** One head at a time, in arrival order: a poll and a webhook may report heads together. */
  private seen(head: string): Promise<void> {
    const next = this.handingOn.then(async () => {
      if (head === this.lastHead) return;
      await this.onHead(head);
      this.lastHead = head;
      this.logger.info({ revision: head, branch: this.options.branch }, 'new fleet repository head');
    });
    this.handingOn = next.catch(() => undefined);
    return next;
  }
}

/** Depths tried, one after the other, to reach a revision behind the branch tip; the last one takes the whole history. */
const FETCH_DEPTHS = [1, 32, 1024, 2 ** 31 - 1];

/**
 * Reads the fleet repository at a revision: a shallow fetch into a cache directory, a
 * checkout of the revision, and the fleet config loader. A revision already fetched is
 * checked out without asking the server; one behind the branch tip (a cluster still on an
 * older commit during a rollout) is reached by deepening the fetch until it is in. Reads
 * are one at a time: they share the checkout. A repository with several rollout policies
 * uses the one named `default`, else the first by name; none gives null.
 */
export class PolicyReader {
  #reading: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: Pick<RepoFollowerOptions, 'url' | 'branch' | 'auth'> & {
    /** Directory for the checkout; reused across revisions, by one reader at a time. */
    cacheDir: string;
  }) {}

  async policyAt(revision: string): Promise<RolloutPolicy | null> {
    return rolloutPolicyOf(await this.fleetAt(revision));
  }

  /** The loaded fleet repository at `revision` (mesh groups and inventory feed link health). */
  fleetAt(revision: string): Promise<Fleet> {
    const read = this.#reading.then(() => this.#read(revision));
    this.#reading = read.catch(() => undefined);
    return read;
  }

  async #read(revision: string): Promise<Fleet> {
    const dir = this.options.cacheDir;
    const branch = this.options.branch ?? 'main';
    await mkdir(dir, { recursive: true });
    if (!fs.existsSync(`${dir}/.git`)) await git.init({ fs, dir, defaultBranch: 'main' });
    await git.addRemote({ fs, dir, remote: 'origin', url: this.options.url, force: true });
    try {
      for (const depth of FETCH_DEPTHS) {
        if (await this.#has(revision)) break;
        await git.fetch({
          fs, http, dir, url: this.options.url, ref: branch, singleBranch: true, depth, tags: false, onAuth: onAuth(this.options.auth),
        });
        // Without a shallow boundary the whole branch is here: deeper fetches bring nothing more.
        if (!fs.existsSync(`${dir}/.git/shallow`) && !(await this.#has(revision))) break;
      }
      if (!(await this.#has(revision))) {
        throw new HubError(HubErrorCode.RepoUnreachable, `revision ${revision} is not on branch ${branch} of the fleet repository`, {
          hint: 'a commit only on another branch, or rewritten away by a force push, cannot be read; push it to the branch',
        });
      }
      await git.checkout({ fs, dir, ref: revision, force: true });
    } catch (error) {
      if (error instanceof HubError) throw error;
      throw new HubError(HubErrorCode.RepoUnreachable, `cannot fetch revision ${revision} of the fleet repository: ${(error as Error).message}`, {
        cause: error, hint: 'check the repository URL and credentials',
      });
    }
    return loadFleet(new FsRepoReader(dir));
  }

  /** Whether the commit is in the cache directory already. */
  async #has(revision: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, dir: this.options.cacheDir, oid: revision });
      return true;
    } catch {
      return false;
    }
  }
}

/** The rollout policy of a fleet: the one named `default`, else the first by name; none gives null. */
export function rolloutPolicyOf(fleet: Pick<Fleet, 'rolloutPolicies'>): RolloutPolicy | null {
  const policies = fleet.rolloutPolicies;
  return policies.find((policy) => policy.name === 'default') ?? policies[0] ?? null;
}
