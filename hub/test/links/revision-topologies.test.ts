import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { createWorkTree, startGitServer, type GitServer, type GitServerRepo, type WorkTree } from '@netfleet/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@netfleet/shared';
import { RevisionTopologies, type RevisionTopologiesOptions } from '../../src/links/revision-topologies.js';
import { FleetRepository } from '../../src/rollout/fleet-repository.js';
import { eventually } from '../helpers.js';

/**
 * The revisions clusters run, loaded from a real fleet repository in the background:
 * commits behind the tip, retried while the server is away, shared when they declare the
 * same topology, and kept within the cache's capacity.
 */

const EXAMPLE_FLEET = new URL('../../../examples/fleet/', import.meta.url).pathname;
const payments = (members: string[]) => `apiVersion: netfleet.io/v1alpha1\nkind: MeshGroup\nmetadata:\n  name: payments\nspec:\n  type: federation\n  members: [${members.join(', ')}]\n`;

async function filesOf(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(root, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

let server: GitServer;
let repo: GitServerRepo;
let tree: WorkTree;
/** c1 and c2 declare the same mesh; c3 and the tip each add a member. */
const commits: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startGitServer();
  repo = await server.createRepo('fleet');
  tree = await createWorkTree(repo.dir);
  await tree.write({ ...(await filesOf(EXAMPLE_FLEET)), 'mesh/groups.yaml': payments(['eu-fra-1', 'eu-ams-1']) });
  commits.push(await tree.commit('payments of two'));
  await tree.write({ 'README.md': 'the fleet\n' });
  commits.push(await tree.commit('a readme'));
  await tree.write({ 'mesh/groups.yaml': payments(['eu-fra-1', 'eu-ams-1', 'us-nyc-1']) });
  commits.push(await tree.commit('us-nyc-1 joins'));
  await tree.write({ 'mesh/groups.yaml': payments(['eu-fra-1', 'eu-ams-1', 'us-nyc-1', 'ap-sin-1']) });
  commits.push(await tree.commit('ap-sin-1 joins'));
  await tree.push();
});

afterEach(async () => {
  server.failAll(undefined);
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await tree.dispose();
  await server.dispose();
});

/** Revision topologies over a fresh cache directory that fetched only the tip, with their log lines and loads. */
async function topologies(options: RevisionTopologiesOptions = {}) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-revisions-'));
  const reader = new FleetRepository({ url: repo.url, cacheDir }, createLogger({ name: 'fleet-repository', level: 'silent' }));
  const lines: Record<string, unknown>[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)));
  const loaded: string[] = [];
  const revisions = new RevisionTopologies((revision) => loaded.push(revision), createLogger({ name: 'links', level: 'info', destination }), options);
  const tip = commits.at(-1)!;
  revisions.setHead(tip, await reader.fleetAt(tip));
  revisions.loadWith((revision) => reader.fleetAt(revision));
  cleanups.push(async () => {
    await revisions.close();
    reader.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  return { revisions, lines, loaded };
}

const membersOf = (topology: { meshGroups: readonly { members: readonly string[] }[] } | undefined) => topology?.meshGroups[0]?.members;

describe('revision topologies', () => {
  it('loads the revisions in use behind the tip, sharing one topology between those that declare the same', async () => {
    const { revisions, loaded } = await topologies();
    const [first, second] = commits;
    revisions.use([first!, second!, commits.at(-1)!, '']);
    expect(revisions.topologyOf(first!)).toBeUndefined();
    await eventually(() => expect(loaded.sort()).toEqual([first, second].sort()));
    expect(membersOf(revisions.topologyOf(first!))).toEqual(['eu-fra-1', 'eu-ams-1']);
    expect(revisions.topologyOf(second!)).toBe(revisions.topologyOf(first!));
    expect(revisions.topologyOf(commits.at(-1)!)).toBe(revisions.head!.topology);
  });

  it('retries a revision with backoff while the repository is away, logging each failure', async () => {
    const { revisions, lines, loaded } = await topologies({ retryMs: 20, maxRetryMs: 80 });
    const third = commits[2]!;
    server.failAll(503);
    // Each call stands for a link pass: it never waits for git.
    await eventually(() => {
      revisions.use([third]);
      expect(lines.filter((line) => line.revision === third && line.level === 40).length).toBeGreaterThanOrEqual(3);
    });
    const failures = lines.filter((line) => line.revision === third && line.level === 40);
    expect(failures.slice(0, 3).map((line) => [line.failures, line.retryInMs])).toEqual([[1, 20], [2, 40], [3, 80]]);
    expect(failures[0]!.msg).toBe('cannot load a fleet revision clusters run; their links are judged by the head until it loads');
    expect(loaded).toEqual([]);
    server.failAll(undefined);
    await eventually(() => {
      revisions.use([third]);
      expect(membersOf(revisions.topologyOf(third))).toEqual(['eu-fra-1', 'eu-ams-1', 'us-nyc-1']);
    });
    expect(loaded).toEqual([third]);
  });

  it('keeps at most its capacity, dropping revisions no cluster runs first, never the head', async () => {
    const { revisions, lines, loaded } = await topologies({ capacity: 2 });
    const [first, , third] = commits;
    revisions.use([first!]);
    await eventually(() => expect(loaded).toEqual([first]));
    revisions.use([third!]);
    await eventually(() => expect(loaded).toEqual([first, third]));
    expect(revisions.topologyOf(first!)).toBeUndefined();
    expect(revisions.head!.topology).toBeDefined();

    // The head and third take both places: first waits, judged by the head.
    revisions.use([first!, third!]);
    await revisions.close();
    expect(revisions.topologyOf(first!)).toBeUndefined();
    expect(lines.find((line) => line.msg === 'more fleet revisions in use than link health keeps; clusters on the others are judged by the head'))
      .toMatchObject({ revision: first, capacity: 2 });
  });
});
