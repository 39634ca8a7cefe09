import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason, SyncStatus, createLogger, type Credentials } from '@netfleet/shared';
import { Reporter } from '@netfleet/agent/report/index';
import { deleteKeysWithPrefix } from '@netfleet/test';
import { main } from '../src/main.js';
import { captureIO } from './io.js';
import { runHub } from '../src/commands/hub.js';

const ADMIN = 'cli-admin-token-0123456789';
const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';


async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('when the hub runs as `netfleet hub`', () => {
  const prefix = `{nf-cli-${randomBytes(4).toString('hex')}}`;
  const controller = new AbortController();
  const daemon = captureIO();
  let dir: string;
  let url: string;
  let exited: Promise<number>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-hub-cli-'));
    await writeFile(join(dir, 'secret'), 'cli-hub-secret-0123456789abcdef0123\n');
    await writeFile(join(dir, 'admin-tokens'), `# admins\n${ADMIN}\n`);
    await writeFile(join(dir, 'hub.yaml'), [
      `redisUrl: ${REDIS_URL}`, `prefix: "${prefix}"`, 'listen: 127.0.0.1:0',
      `secretFile: ${join(dir, 'secret')}`, `adminTokensFile: ${join(dir, 'admin-tokens')}`, 'heartbeatIntervalMs: 60000', '',
    ].join('\n'));
    exited = runHub({ config: join(dir, 'hub.yaml'), logLevel: 'silent' }, daemon.io, controller.signal, {});
    await until(() => daemon.text.out.includes('listening on'));
    url = /listening on (\S+)/.exec(daemon.text.out)![1]!;
  });

  afterAll(async () => {
    controller.abort();
    await exited;
    await deleteKeysWithPrefix(REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the API; `netfleet clusters` and `netfleet cluster` show what the agent reported', async () => {
    const bootstrap = await fetch(`${url}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttlSeconds: 60, maxUses: 1 }),
    }).then((response) => response.json() as Promise<{ token: string }>);
    const credentials = await fetch(`${url}/api/v1/register`, {
      method: 'POST', headers: { authorization: `Bearer ${bootstrap.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cluster: 'eu-fra-1', region: 'eu', labels: { tier: 'prod' } }),
    }).then((response) => response.json() as Promise<Credentials>);
    const reporter = await Reporter.open({
      credentials, hubUrl: url, spoolDir: join(dir, 'spool'), agentVersion: '9.9.9', coalesceMs: 1,
      logger: createLogger({ name: 'cli-test', level: 'silent' }),
    });
    reporter.start();
    reporter.sync({ revision: '0123456789abcdef', status: SyncStatus.Failed, reason: SyncReason.ApplyFailed, changes: [], error: 'apply refused' });
    await reporter.flush();
    await reporter.close();

    const env = { NETFLEET_HUB_URL: url, NETFLEET_HUB_TOKEN: ADMIN };
    const old = { ...process.env };
    Object.assign(process.env, env);
    try {
      await until(async () => {
        const listed = captureIO();
        await main(['clusters', '--sync', 'failed'], listed.io);
        return listed.text.out.includes('eu-fra-1');
      });
      const listed = captureIO();
      expect(await main(['clusters', '--region', 'eu'], listed.io)).toBe(0);
      expect(listed.text.out.split('\n')[0]).toMatch(/^NAME\s+REGION\s+STATE\s+REVISION\s+SYNC\s+DRIFT\s+LAST SEEN$/);
      expect(listed.text.out).toMatch(/eu-fra-1\s+eu\s+online\s+-\s+failed\s+0\s+\d+s ago/);

      const shown = captureIO();
      expect(await main(['cluster', 'eu-fra-1'], shown.io)).toBe(0);
      expect(shown.text.out).toContain('Labels:       tier=prod');
      expect(shown.text.out).toContain('Last sync:    failed (ApplyFailed) at 0123456789ab');
      expect(shown.text.out).toContain('apply refused');

      const json = captureIO();
      expect(await main(['cluster', 'eu-fra-1', '-o', 'json'], json.io)).toBe(0);
      expect(JSON.parse(json.text.out)).toMatchObject({ name: 'eu-fra-1', sync: { status: 'failed' }, drift: { items: [] } });
      const yaml = captureIO();
      expect(await main(['cluster', 'eu-fra-1', '-o', 'yaml'], yaml.io)).toBe(0);
      expect(parse(yaml.text.out)).toEqual(JSON.parse(json.text.out));

      const missing = captureIO();
      expect(await main(['cluster', 'nope'], missing.io)).toBe(2);
      expect(missing.text.err).toContain('ERR HUB_NOT_FOUND: cluster nope is not registered');
    } finally {
      process.env = old;
    }
  });

  it('`netfleet register` saves credentials privately and refuses a used-up bootstrap token', async () => {
    const bootstrap = await fetch(`${url}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttlSeconds: 60, maxUses: 1 }),
    }).then((response) => response.json() as Promise<{ token: string }>);
    await writeFile(join(dir, 'bootstrap'), `${bootstrap.token}\n`);
    const args = (cluster: string) => [
      'register', '--hub-url', url, '--bootstrap-token-file', join(dir, 'bootstrap'), '--cluster', cluster, '--region', 'us',
      '--label', 'tier=dev', '--credentials-file', join(dir, `${cluster}.json`),
    ];
    const first = captureIO();
    expect(await main(args('us-1'), first.io)).toBe(0);
    expect(first.text.out).toContain('registered us-1');
    expect((await stat(join(dir, 'us-1.json'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, 'us-1.json'), 'utf8'))).toMatchObject({ cluster: 'us-1', keyGeneration: 1 });
    const second = captureIO();
    expect(await main(args('us-2'), second.io)).toBe(2);
    expect(second.text.err).toContain('ERR HUB_BOOTSTRAP_TOKEN_USED_UP');
    expect(second.text.err).not.toContain(bootstrap.token);
  });

  it('stops gracefully when signalled', async () => {
    controller.abort();
    expect(await exited).toBe(0);
    expect(daemon.text.out).toContain('netfleet hub stopping');
  });
});

describe('when the hub configuration is wrong', () => {
  it('names the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netfleet-hub-cli-'));
    await writeFile(join(dir, 'hub.yaml'), 'heartbeatIntervalMs: soon\n');
    const { io } = captureIO();
    await expect(runHub({ config: join(dir, 'hub.yaml') }, io, AbortSignal.abort(), {}))
      .rejects.toThrow(`${join(dir, 'hub.yaml')}: invalid hub config: field '/heartbeatIntervalMs'`);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without a secret', async () => {
    const { io } = captureIO();
    await expect(runHub({}, io, AbortSignal.abort(), {})).rejects.toMatchObject({ code: 'HUB_CONFIG_INVALID', message: 'no hub secret configured' });
  });

  it('`netfleet clusters` without a hub URL exits 2 with a hint', async () => {
    const { io, text } = captureIO();
    const saved = process.env.NETFLEET_HUB_URL;
    delete process.env.NETFLEET_HUB_URL;
    expect(await main(['clusters'], io)).toBe(2);
    if (saved) process.env.NETFLEET_HUB_URL = saved;
    expect(text.err).toContain('ERR CLI_HUB_URL_MISSING');
    expect(text.err).toContain('hint: pass --hub-url');
  });
});
