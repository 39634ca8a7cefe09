import type { RepoEntry, RepoReader } from '../../src/repo-reader.js';

/** A file's content, a symlink (`{ symlink: target }`), or a size-only stand-in that must never be read. */
export type MemoryFile = string | Uint8Array | { symlink: string } | { unreadableOfSize: number };

/**
 * A RepoReader over files held in memory, for fixtures. Entries come back in the given
 * order (not sorted) so tests can check that the loader does not depend on it.
 */
export class MemoryRepo implements RepoReader {
  readonly reads: string[] = [];

  constructor(private readonly files: Record<string, MemoryFile>, private readonly order: string[] = Object.keys(files)) {}

  async list(): Promise<RepoEntry[]> {
    return this.order.map((path) => {
      const file = this.files[path]!;
      if (typeof file === 'string') return { path, kind: 'file', size: Buffer.byteLength(file) };
      if (file instanceof Uint8Array) return { path, kind: 'file', size: file.length };
      if ('symlink' in file) return { path, kind: 'symlink', size: Buffer.byteLength(file.symlink) };
      return { path, kind: 'file', size: file.unreadableOfSize };
    });
  }

  async read(path: string): Promise<Uint8Array> {
    this.reads.push(path);
    const file = this.files[path];
    if (file === undefined) throw new Error(`no such file: ${path}`);
    if (typeof file === 'string') return new TextEncoder().encode(file);
    if (file instanceof Uint8Array) return file;
    if ('symlink' in file) return new TextEncoder().encode(file.symlink);
    throw new Error(`${path} must not be read`);
  }
}

/** Two valid clusters in two regions: the base most error cases add one mistake to. */
export const BASE_FLEET: Record<string, string> = {
  'clusters/alpha.yaml': `apiVersion: netfleet.io/v1alpha1
kind: Cluster
metadata:
  name: alpha
  labels:
    env: prod
spec:
  region: eu
  publicDomain: alpha.example.com
  clusterDomain: alpha.cluster
  vars:
    vip: 10.0.0.1
`,
  'clusters/beta.yaml': `apiVersion: netfleet.io/v1alpha1
kind: Cluster
metadata:
  name: beta
  labels:
    env: staging
spec:
  region: us
  publicDomain: beta.example.com
  clusterDomain: beta.cluster
`,
};
