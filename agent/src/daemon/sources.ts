import { createHash } from 'node:crypto';
import { SyncReason, type RepoReader } from '@netfleet/shared';
import { FsRepoReader } from '@netfleet/shared/fs-repo-reader';
import { SourceError, type FetchedRevision, type FleetSource } from '../reconcile/source.js';
import { GitErrorCode, GitSourceError, type GitSource } from '@netfleet/git';
import type { AgentMetrics } from './metrics.js';

/** A FleetSource that can also tell cheaply which revision is current. */
export interface PolledSource extends FleetSource {
  /** The revision a fetch would return now, or undefined when that cannot be known cheaply. */
  head(): Promise<string | undefined>;
  /**
   * Fetch this revision instead of the branch head (a hub assignment, possibly a rollback);
   * undefined follows the head again. Absent when the source has no history (a directory).
   */
  pin?(revision: string | undefined): void;
}

/**
 * The git source as the reconciler sees it: the branch head, or the pinned revision.
 * Fetch time goes to the git metric; a signature refused under enforce is a
 * SignatureInvalid sync, anything else a FetchFailed one.
 */
export function gitFleetSource(git: GitSource, metrics?: AgentMetrics): PolledSource {
  let pinned: string | undefined;
  return {
    pin(revision) {
      pinned = revision;
    },
    async head() {
      return pinned ?? (await git.poll()).revision;
    },
    async fetch(signal?: AbortSignal): Promise<FetchedRevision> {
      const stop = metrics?.gitFetchDuration.startTimer();
      try {
        const snapshot = await git.snapshot(pinned, { signal });
        return { revision: snapshot.revision, reader: snapshot.reader };
      } catch (error) {
        if (error instanceof GitSourceError) {
          const reason = error.code === GitErrorCode.SignatureRefused ? SyncReason.SignatureInvalid : SyncReason.FetchFailed;
          throw new SourceError(reason, error.message, { hint: error.hint, cause: error });
        }
        throw error;
      } finally {
        stop?.();
      }
    },
    async fetchRevision(revision): Promise<FetchedRevision> {
      const snapshot = await git.snapshot(revision);
      return { revision: snapshot.revision, reader: snapshot.reader };
    },
  };
}

/**
 * A local directory as the fleet repository. Its revision is a digest of every path and
 * content, so an unchanged directory is not synced again.
 */
export function directoryFleetSource(dir: string): PolledSource {
  const read = async (): Promise<FetchedRevision> => {
    const reader = new FsRepoReader(dir);
    try {
      return { revision: await digest(reader), reader };
    } catch (error) {
      throw new SourceError(SyncReason.FetchFailed, `cannot read the fleet directory ${dir}: ${(error as Error).message}`, { cause: error, hint: 'check --repo' });
    }
  };
  return {
    async head() {
      return (await read()).revision;
    },
    fetch: read,
  };
}

async function digest(reader: RepoReader): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of await reader.list()) {
    hash.update(`${entry.kind} ${entry.path}\0`);
    hash.update(await reader.read(entry.path));
    hash.update('\0');
  }
  return `dir-${hash.digest('hex').slice(0, 40)}`;
}
