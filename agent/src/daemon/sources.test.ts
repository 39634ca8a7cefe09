import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason } from '@netfleet/shared';
import { directoryFleetSource } from './sources.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-dir-source-'));
  await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('directoryFleetSource', () => {
  it('gives an unchanged directory the same revision and a changed one another', async () => {
    const source = directoryFleetSource(dir);
    const first = await source.head();
    expect(await source.head()).toBe(first);
    expect((await source.fetch()).revision).toBe(first);
    await writeFile(join(dir, 'a.yaml'), 'a: 2\n');
    expect(await source.head()).not.toBe(first);
  });

  it('fails a missing directory as FetchFailed', async () => {
    await expect(directoryFleetSource(join(dir, 'missing')).fetch()).rejects.toMatchObject({ reason: SyncReason.FetchFailed, code: 'AGENT_FETCH_FAILED' });
  });
});
