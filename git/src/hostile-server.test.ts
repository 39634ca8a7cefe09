/**
 * The hostile-server corpus: a real `git http-backend` behind a front that answers the
 * pack request with crafted bytes. Every case must end in a GitSourceError saying what was
 * wrong, within bounded time and memory, with nothing stored and the last good revision
 * still served.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate, deflateSync } from 'node:zlib';
import { createLogger } from '@netfleet/shared';
import {
  buildPack, commitContent, copy, craftedObjectId, createWorkTree, delta, insert, objectEntry, ofsDeltaEntry, pktLine, refDeltaEntry,
  runGit, startGitServer, startHostileGitFront, treeContent, uploadPackResult,
  type GitServer, type GitServerRepo, type HostileGitFront, type UploadPackAnswer, type WorkTree,
} from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitErrorCode, GitSource, type GitSourceOptions } from './index.js';

let server: GitServer;
let repo: GitServerRepo;
let tree: WorkTree;
let front: HostileGitFront;
let scratch: string;
let round = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'netfleet-hostile-'));
  server = await startGitServer();
  repo = await server.createRepo('fleet');
  tree = await createWorkTree(repo.dir);
  front = await startHostileGitFront(server);
});

afterAll(async () => {
  await front.dispose();
  await tree.dispose();
  await server.dispose();
  await rm(scratch, { recursive: true, force: true });
});

/** Deflate of `bytes` zero bytes, made in steps so the test itself stays small. */
async function zerosDeflated(bytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => deflate.once('end', resolve));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < bytes; written += zeros.length) {
    if (!deflate.write(zeros)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(chunks);
}

const blob10 = objectEntry('blob', 'ten bytes!');
const GiB = 1024 * 1024 * 1024;

/** A well-formed pack of one commit with one file, for cases that break it afterwards. */
function soundPack(treeBytes?: Buffer): Buffer {
  const blob = 'cidr: 10.0.0.0/16\n';
  const treeBody = treeBytes ?? treeContent([{ mode: '100644', name: 'fleet.yaml', oid: craftedObjectId('blob', blob) }]);
  return buildPack([
    objectEntry('commit', commitContent(craftedObjectId('tree', treeBody))),
    objectEntry('tree', treeBody),
    objectEntry('blob', blob),
  ]);
}

function body(options: Parameters<typeof uploadPackResult>[0]): UploadPackAnswer {
  return { body: uploadPackResult(options) };
}

interface HostileCase {
  name: string;
  answer: () => UploadPackAnswer | Promise<UploadPackAnswer>;
  code: GitErrorCode;
  message: RegExp;
  options?: Partial<GitSourceOptions>;
}

const cases: HostileCase[] = [
  {
    name: 'an offset delta at distance 0 (its own base)',
    answer: () => body({ pack: buildPack([blob10, ofsDeltaEntry(0, delta(10, 10, copy(0, 10)))]) }),
    code: GitErrorCode.InvalidPack, message: /delta at pack offset \d+ names a base at distance 0/,
  },
  {
    name: 'reference deltas that name each other (a cycle)',
    answer: () => {
      const [a, b] = [craftedObjectId('blob', 'a'), craftedObjectId('blob', 'b')];
      return body({ pack: buildPack([refDeltaEntry(b, delta(1, 1, insert('a'))), refDeltaEntry(a, delta(1, 1, insert('b')))]) });
    },
    code: GitErrorCode.InvalidPack, message: /2 deltas refer to objects that are not in the pack \(or to each other in a cycle\)/,
  },
  {
    name: 'a delta chain longer than git allows (4095)',
    answer: () => {
      const step = ofsDeltaEntry(blob10.length, delta(10, 10, copy(0, 10)));
      const chain = [blob10, ...Array.from({ length: 4100 }, (_, i) => (i === 0 ? step : ofsDeltaEntry(step.length, delta(10, 10, copy(0, 10)))))];
      return body({ pack: buildPack(chain) });
    },
    code: GitErrorCode.InvalidPack, message: /delta chain .* is longer than 4095/,
  },
  {
    name: 'a delta copying 100 bytes from a 10-byte base',
    answer: () => body({ pack: buildPack([blob10, ofsDeltaEntry(blob10.length, delta(10, 100, copy(0, 100)))]) }),
    code: GitErrorCode.InvalidPack, message: /delta copies 100 bytes from offset 0 of a 10-byte base/,
  },
  {
    name: 'a delta writing past the size it declares',
    answer: () => body({ pack: buildPack([blob10, ofsDeltaEntry(blob10.length, delta(10, 5, copy(0, 10)))]) }),
    code: GitErrorCode.InvalidPack, message: /delta writes past the 5 bytes it declares/,
  },
  {
    name: 'an object header claiming fewer bytes than it inflates to',
    answer: () => body({ pack: buildPack([objectEntry('blob', 'twenty bytes of text', { claimedSize: 10 })]) }),
    code: GitErrorCode.InvalidPack, message: /object at pack offset 12 inflates to more than the 10 bytes its header says/,
  },
  {
    name: 'an object header claiming more bytes than it inflates to',
    answer: () => body({ pack: buildPack([objectEntry('blob', 'twenty bytes of text', { claimedSize: 30 })]) }),
    code: GitErrorCode.InvalidPack, message: /inflates to 20 bytes, but its header says 30/,
  },
  {
    name: 'a zlib bomb (1 GiB of zeros behind a 100-byte header)',
    answer: async () => body({ pack: buildPack([objectEntry('blob', '', { claimedSize: 100, zlib: await zerosDeflated(GiB) })]) }),
    code: GitErrorCode.InvalidPack, message: /inflates to more than the 100 bytes its header says/,
  },
  {
    name: 'an object claiming 2 GiB',
    answer: () => body({ pack: buildPack([objectEntry('blob', 'small', { claimedSize: 2 * GiB })]) }),
    code: GitErrorCode.TooLarge, message: /object at pack offset 12 claims 2147483648 bytes, above the limit of 104857600/,
  },
  {
    name: 'a delta declaring a 2 GiB result',
    answer: () => body({ pack: buildPack([blob10, ofsDeltaEntry(blob10.length, delta(10, 2 * GiB, copy(0, 10)))]) }),
    code: GitErrorCode.TooLarge, message: /delta produces an object of 2147483648 bytes, above the limit/,
  },
  {
    name: 'a pack cut off in transfer',
    answer: () => {
      const pack = soundPack();
      return body({ pack: pack.subarray(0, pack.length - 30) });
    },
    code: GitErrorCode.InvalidPack, message: /pack checksum mismatch/,
  },
  {
    name: 'a pack announcing more objects than it holds',
    answer: () => body({ pack: buildPack([blob10], 2) }),
    code: GitErrorCode.InvalidPack, message: /pack ends after 1 of the 2 objects it announces/,
  },
  {
    name: 'an object whose zlib data is cut short',
    answer: () => body({ pack: buildPack([objectEntry('blob', 'x'.repeat(100), { zlib: deflateSync('x'.repeat(100)).subarray(0, 4) })]) }),
    code: GitErrorCode.InvalidPack, message: /object at pack offset 12 has corrupt or truncated zlib data/,
  },
  {
    name: 'a truncated tree (an entry without NUL and id)',
    answer: () => body({ pack: soundPack(Buffer.from('100644 fleet.yaml')) }),
    code: GitErrorCode.InvalidPack, message: /tree object's entry at byte 0 is truncated/,
  },
  {
    name: 'a tree entry named ".."',
    answer: () => body({ pack: soundPack(treeContent([{ mode: '40000', name: '..', oid: 'ab'.repeat(20) }])) }),
    code: GitErrorCode.InvalidPack, message: /tree object's entry at byte 0 has the invalid name "\.\."/,
  },
  {
    name: 'a sound pack without the commit asked for',
    answer: () => body({ pack: soundPack() }),
    code: GitErrorCode.InvalidPack, message: /the pack does not hold [0-9a-f]{40}, the commit asked for/,
  },
  {
    name: 'a shallow line that is not an object id',
    answer: () => body({ shallowLines: ['shallow ../../etc/passwd'], pack: soundPack() }),
    code: GitErrorCode.InvalidPack, message: /invalid shallow line "shallow \.\.\/\.\.\/etc\/passwd" \(expected 40 hexadecimal digits\)/,
  },
  {
    name: 'an unshallow line that is not an object id',
    answer: () => body({ shallowLines: [`unshallow ${'a'.repeat(39)}`], pack: soundPack() }),
    code: GitErrorCode.InvalidPack, message: /invalid shallow line/,
  },
  {
    name: 'an ERR pkt-line',
    answer: () => ({ body: pktLine('ERR upload-pack: not our ref 0123\n') }),
    code: GitErrorCode.ServerError, message: /refused the fetch: upload-pack: not our ref 0123/,
  },
  {
    name: 'a pack larger than maxPackBytes',
    answer: () => body({ pack: buildPack([objectEntry('blob', randomBytes(256 * 1024))]) }),
    code: GitErrorCode.TooLarge, message: /sent a pack larger than the limit of 65536 bytes/,
    options: { maxPackBytes: 64 * 1024 },
  },
  {
    name: 'a server dripping one byte a second',
    answer: () => ({ drip: uploadPackResult({ pack: soundPack() }), intervalMs: 1000 }),
    code: GitErrorCode.Timeout, message: /did not finish within the 2500 ms deadline/,
    options: { fetchTimeoutMs: 2500 },
  },
];

async function packDirectory(cacheDir: string): Promise<string[]> {
  return (await readdir(join(cacheDir, 'objects', 'pack'))).sort();
}

/** A source that fetched the current head through the front; then the branch moves on. */
async function sourceWithGoodRevision(options: Partial<GitSourceOptions> = {}) {
  front.answerUploadPack(undefined);
  round += 1;
  const cacheDir = join(scratch, `cache-${round}`);
  const source = new GitSource({ url: front.url(repo), cacheDir, logger: createLogger({ name: 'test', level: 'silent' }), ...options });
  await tree.write({ 'fleet.yaml': `clusters: [a]\nround: ${round}\n` });
  const good = await tree.commit(`good ${round}`);
  await tree.push();
  expect((await source.snapshot()).revision).toBe(good);
  await tree.write({ 'fleet.yaml': `clusters: [a]\nround: ${round}\nnext: true\n` });
  const next = await tree.commit(`next ${round}`);
  await tree.push();
  return { source, cacheDir, good, next, storedBefore: await packDirectory(cacheDir) };
}

describe('when the server sends hostile or broken data', () => {
  it.each(cases)('$name: fails with $code, stores nothing and keeps the last good revision', async ({ answer, code, message, options }) => {
    const { source, cacheDir, good, next, storedBefore } = await sourceWithGoodRevision(options);
    front.answerUploadPack(await answer());
    const rssBefore = process.memoryUsage().rss;
    const peakBefore = process.resourceUsage().maxRSS * 1024;

    const error = await source.snapshot().catch((e: unknown) => e);

    expect(error).toMatchObject({ code, message: expect.stringMatching(message), hint: expect.any(String) });
    // Memory stayed bounded: the peak grew by far less than what the server claimed or packed.
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(Math.max(peakBefore, rssBefore) + 256 * 1024 * 1024);
    // Nothing stored: no new pack, no temporary file, the tracking ref and shallow file untouched.
    expect(await packDirectory(cacheDir)).toEqual(storedBefore);
    expect((await readFile(join(cacheDir, 'refs/remotes/origin/main'), 'utf8')).trim()).toBe(good);
    expect((await readFile(join(cacheDir, 'shallow'), 'utf8')).trim()).toBe(good);
    // The last good revision is still served from the cache; the moved branch is still news.
    const requestsBefore = server.requests.length;
    const kept = await source.snapshot(good);
    expect(Buffer.from(await kept.reader.read('fleet.yaml')).toString()).toContain(`round: ${round}\n`);
    expect(server.requests.length).toBe(requestsBefore);
    expect(await source.poll()).toEqual({ revision: next, changed: true });
    source.close();
  });

  it('stops a trickling fetch when the caller aborts, with AGENT_GIT_ABORTED', async () => {
    const { source, cacheDir, storedBefore } = await sourceWithGoodRevision();
    front.answerUploadPack({ drip: uploadPackResult({ pack: soundPack() }), intervalMs: 1000 });
    const controller = new AbortController();
    const fetching = source.snapshot(undefined, { signal: controller.signal }).catch((e: unknown) => e);
    await expect.poll(() => front.craftedAnswers, { timeout: 20_000 }).toBeGreaterThan(0);
    controller.abort();

    expect(await fetching).toMatchObject({ code: GitErrorCode.Aborted });
    expect(await packDirectory(cacheDir)).toEqual(storedBefore);
    source.close();
  });

  it('reports a size lie as an invalid pack when the kept-alive connection closes as the fetch goes out on it', async () => {
    const { source, cacheDir, storedBefore } = await sourceWithGoodRevision();
    front.answerUploadPack(body({ pack: buildPack([objectEntry('blob', '', { claimedSize: 100, zlib: deflateSync(Buffer.alloc(1000)) })]) }));
    // The last fetch read its pack to the end, which left its connection in the pool: the
    // next fetch's first request goes out on it.
    front.dropNextKeptAliveRequest();

    await expect(source.snapshot()).rejects.toMatchObject({ code: GitErrorCode.InvalidPack, message: expect.stringMatching(/inflates to more than the 100 bytes its header says/) });
    expect(front.droppedRequests).toBe(1);
    expect(await packDirectory(cacheDir)).toEqual(storedBefore);
    source.close();
  });

  it('fetches the next revision once the server behaves again', async () => {
    const { source, next } = await sourceWithGoodRevision();
    front.answerUploadPack(body({ pack: buildPack([blob10, ofsDeltaEntry(0, delta(10, 10, copy(0, 10)))]) }));
    await expect(source.snapshot()).rejects.toMatchObject({ code: GitErrorCode.InvalidPack });
    front.answerUploadPack(undefined);
    expect((await source.snapshot()).revision).toBe(next);
    source.close();
  });
});

describe('the corpus', () => {
  it('starts from packs git itself accepts: only the lie in each case is wrong', async () => {
    const file = join(scratch, 'sound.pack');
    await writeFile(file, soundPack());
    await runGit(['index-pack', '--strict', file], { cwd: repo.dir });
  });
});
