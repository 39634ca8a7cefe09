import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHubConfig } from '../../src/config.js';

describe('the fleet repository and webhook in the hub config', () => {
  let dir: string;
  const file = (content: unknown) => ({ path: join(dir, 'hub.yaml'), content });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-hub-config-'));
    await writeFile(join(dir, 'secret'), 'hub-secret-0123456789abcdef0123456789\n');
    await writeFile(join(dir, 'git-token'), 'git-token-value\n');
    await writeFile(join(dir, 'webhook'), 'webhook-secret-value\n');
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the repository credentials and the webhook secret from their files', async () => {
    const { options } = await resolveHubConfig({
      file: file({
        secretFile: join(dir, 'secret'), webhookSecretFile: join(dir, 'webhook'),
        fleetRepo: { url: 'https://git.example.com/fleet.git', branch: 'prod', cacheDir: '/var/lib/netfleet/fleet', tokenFile: join(dir, 'git-token') },
      }),
      env: {}, flags: {},
    });
    expect(options.fleetRepo).toEqual({ url: 'https://git.example.com/fleet.git', branch: 'prod', cacheDir: '/var/lib/netfleet/fleet', auth: { token: { file: join(dir, 'git-token') } } });
    expect(options.webhookSecret).toBe('webhook-secret-value');
  });

  it('takes an SSH deploy key with its known_hosts file, and stops at start when the key file is missing', async () => {
    await writeFile(join(dir, 'deploy-key'), '-----BEGIN OPENSSH PRIVATE KEY-----\n...\n');
    const fleetRepo = { url: 'git@git.example.com:platform/fleet.git', cacheDir: '/var/lib/netfleet/fleet', sshKeyFile: join(dir, 'deploy-key'), knownHostsFile: '/etc/netfleet/known_hosts' };
    const { options } = await resolveHubConfig({ file: file({ secretFile: join(dir, 'secret'), fleetRepo }), env: {}, flags: {} });
    expect(options.fleetRepo).toEqual({
      url: 'git@git.example.com:platform/fleet.git', cacheDir: '/var/lib/netfleet/fleet', knownHostsFile: '/etc/netfleet/known_hosts',
      auth: { sshKey: { file: join(dir, 'deploy-key') } },
    });
    await expect(resolveHubConfig({ file: file({ secretFile: join(dir, 'secret'), fleetRepo: { ...fleetRepo, sshKeyFile: join(dir, 'missing') } }), env: {}, flags: {} }))
      .rejects.toThrow(/fleet repository SSH key/);
  });

  it.each([
    ['a username without its password file', { url: 'https://x/f.git', cacheDir: '/tmp/f', username: 'fleet' }, /needs both username and passwordFile/],
    ['a repository without a cache directory', { url: 'https://x/f.git' }, /cacheDir/],
    ['an unknown field', { url: 'https://x/f.git', cacheDir: '/tmp/f', password: 'inline' }, /password/],
  ])('refuses %s', async (_name, fleetRepo, message) => {
    await expect(resolveHubConfig({ file: file({ secretFile: join(dir, 'secret'), fleetRepo }), env: {}, flags: {} }))
      .rejects.toMatchObject({ code: 'HUB_CONFIG_INVALID', message: expect.stringMatching(message) });
  });
});
