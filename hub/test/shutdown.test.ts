import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis, type PrivateRedis } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, HUB_SECRET, eventually } from './helpers.js';

const BIN = new URL('../../cli/bin/netfleet.js', import.meta.url).pathname;
/** The docs promise a stop within 10 s; the margin is for a busy machine, not for the hub. */
const EXIT_DEADLINE_MS = 40_000;

/**
 * `netfleet hub` as a process, stopped with SIGTERM while its Redis cannot be used: it must
 * exit on its own (code 0) after the bounded graceful stop instead of reconnecting forever.
 */
describe('when `netfleet hub` gets SIGTERM while Redis cannot be used', () => {
  let dir: string;
  let redis: PrivateRedis;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-shutdown-'));
    await writeFile(join(dir, 'secret'), `${HUB_SECRET}\n`);
    await writeFile(join(dir, 'admin-tokens'), `${ADMIN_TOKEN}\n`);
    redis = await startRedis({ args: ['--requirepass', 'the-right-password'] });
  });

  afterAll(async () => {
    await redis.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function stopsOnSigterm(redisUrl: string): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, [
      BIN, 'hub', '--redis-url', redisUrl, '--listen', `127.0.0.1:${port}`, '--log-level', 'silent',
      '--secret-file', join(dir, 'secret'), '--admin-tokens-file', join(dir, 'admin-tokens'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => expect(out).toContain('listening on'), 30_000);
      child.kill('SIGTERM');
      const timedOut = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), EXIT_DEADLINE_MS).unref());
      expect(await Promise.race([exited, timedOut]), out).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('exits when Redis is unreachable', async () => {
    await stopsOnSigterm(`redis://127.0.0.1:${await freePort()}`);
  }, 90_000);

  it('exits when Redis refuses its password', async () => {
    await stopsOnSigterm(`redis://:the-wrong-password@127.0.0.1:${redis.port}`);
  }, 90_000);
});
