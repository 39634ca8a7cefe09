import type { Advertisement, ProtocolVersion } from './advertisement.js';
import type { LoadedCredentials } from './credentials.js';
import type { PktLineReader } from './pkt-line.js';

/** The refs under a prefix, and the advertisement that says how to fetch them. */
export interface RefListing {
  advertisement: Advertisement;
  refs: ReadonlyMap<string, string>;
}

/**
 * How the source reaches a server's `git-upload-pack`: smart HTTP(S) or SSH. Protocol v2 is
 * asked for and v0 spoken when the server does not answer with v2. Calls come one at a time
 * (GitSource serializes them), each reading its answer to the end before the next.
 */
export interface Transport {
  /** The refs whose names start with `prefix` (protocol v2 `ls-refs`; v0 lists them all). */
  listRefs(prefix: string, credentials: LoadedCredentials, signal?: AbortSignal): Promise<RefListing>;
  /**
   * Send one upload-pack request, built for `version`, and return the answer's pkt-lines.
   * `signal` aborts the connection, also while the answer is being read.
   */
  uploadPack(request: Buffer, version: ProtocolVersion, credentials: LoadedCredentials, signal?: AbortSignal): Promise<PktLineReader>;
  /** Free pooled connections. */
  close(): void;
}
