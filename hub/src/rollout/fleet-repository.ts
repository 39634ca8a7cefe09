import { GitSource, GitSourceError, type GitSourceOptions } from '@netfleet/git';
import { loadFleet, type Fleet, type Logger } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../errors.js';

/** Where the fleet repository is and how to reach it: the agent's git source options. */
export type FleetRepositoryOptions = Pick<GitSourceOptions, 'url' | 'branch' | 'auth' | 'caFile' | 'knownHostsFile' | 'timeoutMs'> & {
  /** Directory of the git object cache (one per replica), kept across restarts. */
  cacheDir: string;
};

/**
 * The fleet repository as the hub reads it: the branch tip, and the loaded fleet at any
 * revision. It is the agent's git source (@netfleet/git), so the hub gets the same limits,
 * credentials, CA, proxy, redirect and SSH handling; revisions behind the tip (clusters
 * still on an older commit during a rollout) are reached by deepening the shallow cache.
 */
export class FleetRepository {
  readonly branch: string;
  private readonly source: GitSource;

  constructor(options: FleetRepositoryOptions, logger: Logger) {
    this.branch = options.branch ?? 'main';
    this.source = new GitSource({ ...options, branch: this.branch, logger: logger.child({ component: 'fleet-repository' }) });
  }

  /** The commit the branch points to now: one ref listing, no fetch. */
  async tip(): Promise<string> {
    return (await this.read('cannot read the branch tip of the fleet repository', () => this.source.poll())).revision;
  }

  /** The loaded fleet repository at `revision` (mesh groups and inventory feed link health). */
  async fleetAt(revision: string): Promise<Fleet> {
    const snapshot = await this.read(`cannot fetch revision ${revision} of the fleet repository`, () => this.source.snapshot(revision));
    return loadFleet(snapshot.reader);
  }

  close(): void {
    this.source.close();
  }

  private async read<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof GitSourceError)) throw error;
      throw new HubError(HubErrorCode.RepoUnreachable, `${what}: ${error.message}`, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
    }
  }
}
