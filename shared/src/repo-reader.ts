/**
 * Read access to one revision of a fleet repository. The renderer reads only through
 * this, so the same code renders a local directory, a git object store or an in-memory
 * fixture.
 */
export interface RepoEntry {
  /** POSIX path relative to the repository root, without a leading `./`. */
  path: string;
  /** A symlink's content (from `read`) is its target; the renderer resolves it. */
  kind: 'file' | 'symlink';
  /** Size in bytes, so oversized files are refused before they are read. */
  size: number;
}

export interface RepoReader {
  /** Every file and symlink in the revision, sorted by path. */
  list(): Promise<RepoEntry[]>;
  /** The raw bytes of one entry listed by `list`. */
  read(path: string): Promise<Uint8Array>;
}
