import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '../src/redis.js';
import { SyncReason, SyncStatus, createLogger, type Credentials } from '@netfleet/shared';
import { Hub } from '../../hub/src/index.js';
import { Reporter, RegistrationError, connectToHub, loadCredentials, register, saveCredentials } from '../../agent/src/report/index.js';
import { AgentEvents } from '../../agent/src/events.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'registration-admin-token-0123456789';
const logger = createLogger({ name: 'registration-test', level: 'silent' });

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('when an agent registers over HTTP', () => {
  const prefix = `{nf-reg-${randomBytes(4).toString('hex')}}`;
  let hub: Hub;
  let hubUrl: string;
  let dir: string;

  const bootstrap = async (maxUses = 1): Promise<string> => {
    const response = await fetch(`${hubUrl}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 60, maxUses }),
    });
    return ((await response.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    hub = new Hub({ redisUrl: REDIS_URL, prefix, secret: 'registration-secret-0123456789abcdef', adminTokens: [ADMIN], logger, sweeper: false });
    hubUrl = await (await hub.api()).listen({ host: '127.0.0.1', port: 0 });
    await hub.start();
    dir = await mkdtemp(join(tmpdir(), 'netfleet-registration-'));
  });

  afterAll(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('refuses a wrong bootstrap token with the hub\'s code and hint, without echoing the token', async () => {
    const token = `nfb_000000000000_${'x'.repeat(32)}`;
    const error = await register({ hubUrl, bootstrapToken: token, cluster: 'eu-1', region: 'eu', credentialsFile: join(dir, 'nope.json') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistrationError);
    expect(error).toMatchObject({ code: 'HUB_BOOTSTRAP_TOKEN_INVALID', hint: expect.stringContaining('bootstrap token') });
    expect((error as Error).message).not.toContain(token);
  });

  it('refuses credentials other users can read', async () => {
    const file = join(dir, 'eu-2.json');
    await register({ hubUrl, bootstrapToken: await bootstrap(), cluster: 'eu-2', region: 'eu', credentialsFile: file });
    await expect(loadCredentials(file)).resolves.toMatchObject({ cluster: 'eu-2' });
    await chmod(file, 0o644);
    await expect(loadCredentials(file)).rejects.toMatchObject({ code: 'AGENT_CREDENTIALS_EXPOSED' });
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"cluster":"eu-2"}', { mode: 0o600 });
    await expect(loadCredentials(broken)).rejects.toMatchObject({ code: 'AGENT_CREDENTIALS_INVALID', message: expect.stringContaining("field '/") });
  });

  it('keeps what it sent with the old token spooled, and sends it once the reporter has the new credentials', async () => {
    const credentials = await register({ hubUrl, bootstrapToken: await bootstrap(), cluster: 'eu-3', region: 'eu', credentialsFile: join(dir, 'eu-3.json') });
    const reporter = await Reporter.open({ credentials, hubUrl, spoolDir: join(dir, 'spool-eu-3'), agentVersion: '1', coalesceMs: 1, logger });
    reporter.start();
    const sync = (revision: string) => reporter.sync({ revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
    sync('before');
    await reporter.flush();
    await until(async () => (await hub.fleet.detail('eu-3'))?.revision === 'before');

    const rotated = await fetch(`${hubUrl}/api/v1/clusters/eu-3/rotate`, { method: 'POST', headers: { authorization: `Bearer ${credentials.apiToken}` } })
      .then((response) => response.json() as Promise<Credentials>);
    sync('old-token');
    await reporter.flush();
    // The hub refuses the old token (401): the report stays spooled rather than being lost.
    expect(reporter.stats.spooled).toBe(1);

    reporter.updateCredentials(rotated);
    sync('after');
    await reporter.flush();
    await until(async () => (await hub.fleet.detail('eu-3'))?.revision === 'after');
    const synced = (await hub.fleet.events('eu-3', 10)).filter((event) => event.type === 'sync').map((event) => event.message);
    expect(synced.some((message) => message.includes('old-token'))).toBe(true);
    expect(reporter.stats.spooled).toBe(0);
    await reporter.close();
  });

  it('picks up credentials rotated in its credentials file once the hub refuses the old token', async () => {
    const file = join(dir, 'eu-4.json');
    await register({ hubUrl, bootstrapToken: await bootstrap(), cluster: 'eu-4', region: 'eu', credentialsFile: file });
    const { reporter, close } = await connectToHub(new AgentEvents(), { credentialsFile: file, hubUrl, spoolDir: join(dir, 'spool-eu-4'), agentVersion: '1', coalesceMs: 1, retryMinMs: 20, logger });
    const sync = (revision: string) => reporter.sync({ revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
    sync('before');
    await reporter.flush();
    await until(async () => (await hub.fleet.detail('eu-4'))?.revision === 'before');

    // An admin rotates the credentials and the new ones land in the agent's file (as a mounted Secret would).
    const rotated = await hub.registry.rotate('eu-4');
    await saveCredentials(file, rotated);
    sync('after-rotation');
    await reporter.flush();
    await until(async () => (await hub.fleet.detail('eu-4'))?.revision === 'after-rotation');
    expect(reporter.stats.spooled).toBe(0);
    await close();
  });
});
