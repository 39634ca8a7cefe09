import { NetfleetError, SyncReason, type RenderResult, type RepoReader } from '@netfleet/shared';

/** One revision of the fleet repository, ready to render. */
export interface FetchedRevision {
  /** Commit sha, or a content digest for a local directory. */
  revision: string;
  reader: RepoReader;
}

/**
 * Where the agent gets the fleet repository from: a git remote (through the git source)
 * or a local directory. `fetch` throws a {@link SourceError} when no usable revision
 * could be obtained.
 */
export interface FleetSource {
  fetch(signal?: AbortSignal): Promise<FetchedRevision>;
  /**
   * One given revision (the one applied last, to tell its changes from other managers'
   * edits). Absent when the source has no history (a directory).
   */
  fetchRevision?(revision: string): Promise<FetchedRevision>;
}

/** This cluster's entry in the fleet inventory: its domains name it to link peers. */
export interface ClusterIdentity {
  region: string;
  publicDomain: string;
  clusterDomain: string;
}

/** What the cluster should contain at a revision, with its inventory entry when the renderer knows it. */
export interface RenderedCluster extends RenderResult {
  identity?: ClusterIdentity;
}

/** Renders the fleet in one revision for one cluster; throws ConfigError on invalid config. */
export type RenderFleet = (reader: RepoReader, cluster: string) => Promise<RenderedCluster>;

/** A failed fetch: unreachable remote, missing revision, or a signature refused under enforce. */
export class SourceError extends NetfleetError {
  constructor(
    readonly reason: SyncReason.FetchFailed | SyncReason.SignatureInvalid,
    message: string,
    options: { hint?: string; cause?: unknown; revision?: string } = {},
  ) {
    super(reason === SyncReason.SignatureInvalid ? 'AGENT_SIGNATURE_INVALID' : 'AGENT_FETCH_FAILED', message, options);
    this.revision = options.revision ?? '';
  }

  /** The revision refused, when known. */
  readonly revision: string;
}
