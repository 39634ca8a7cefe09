import { ConfigError, FsRepoReader, loadFleet, type ConfigProblem, type Fleet, type RepoReader } from '@netfleet/shared';
import { GitErrorCode, GitSourceError } from '@netfleet/git';
import { LocalRevisions } from '@netfleet/git/local-revisions';
import { previewFleet, type FleetPreview } from './compute.js';

export interface PreviewRepositoryOptions {
  /** A git work tree, or a folder inside one holding the fleet. */
  repo: string;
  /** The revision the fleet runs now; default: the merge base of HEAD with `branch`. */
  from?: string;
  /** The revision to preview; default: the working tree. */
  to?: string;
  /** The branch the agents follow. */
  branch: string;
  pruneLimit: number;
}

/** One side of a preview could not be loaded: its problems, named by the side. */
export class InvalidRevisionError extends Error {
  constructor(readonly side: string, readonly problems: ConfigProblem[]) {
    super(`the fleet at ${side} has ${problems.length} problems`);
  }
}

/** Reads both revisions from the local repository (no network) and previews the change. */
export async function previewRepository(options: PreviewRepositoryOptions): Promise<FleetPreview> {
  const revisions = await LocalRevisions.open(options.repo);
  const to = options.to === undefined
    ? { name: 'working tree', reader: new FsRepoReader(options.repo) as RepoReader }
    : await revision(revisions, options.to);
  const from = options.from === undefined ? await mergeBase(revisions, options.branch) : await revision(revisions, options.from);
  const [before, after] = [await load(from), await load(to)];
  return previewFleet({ name: from.name, fleet: before }, { name: to.name, fleet: after }, { pruneLimit: options.pruneLimit });
}

interface Side {
  name: string;
  reader: RepoReader;
}

async function revision(revisions: LocalRevisions, name: string): Promise<Side> {
  const oid = await revisions.resolve(name);
  return { name: `${name} (${oid.slice(0, 12)})`, reader: await revisions.reader(oid) };
}

async function mergeBase(revisions: LocalRevisions, branch: string): Promise<Side> {
  const [head, tip] = [await revisions.resolve('HEAD'), await revisions.branchTip(branch)];
  const base = await revisions.mergeBase(head, tip);
  if (!base) throw new GitSourceError(GitErrorCode.RevisionNotFound, `HEAD and ${branch} share no history`, { hint: 'name the base revision with --from' });
  return { name: `merge base with ${branch} (${base.slice(0, 12)})`, reader: await revisions.reader(base) };
}

async function load(side: Side): Promise<Fleet> {
  try {
    return await loadFleet(side.reader);
  } catch (error) {
    if (error instanceof ConfigError) throw new InvalidRevisionError(side.name, error.problems);
    throw error;
  }
}
