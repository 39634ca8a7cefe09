import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAgentOptions } from './options.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-options-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function configFile(text: string): Promise<string> {
  const path = join(dir, `config-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(path, text);
  return path;
}

describe('resolveAgentOptions', () => {
  it('applies the defaults to what is required', async () => {
    const options = await resolveAgentOptions({ flags: { repo: '/fleet', cluster: 'eu-fra-1' }, env: {} });
    expect(options).toMatchObject({ repo: '/fleet', cluster: 'eu-fra-1', branch: 'main', namespace: 'netfleet-system', interval: 60, pruneLimit: 0.5, verify: 'off' });
    expect(options.driftMode).toBeUndefined();
  });

  it('lets flags beat the environment, and the environment beat the config file', async () => {
    const file = await configFile('repo: https://git.example.com/fleet.git\ncluster: from-file\ninterval: 30\nbranch: file-branch\n');
    const options = await resolveAgentOptions({
      configFile: file, env: { NETFLEET_CLUSTER: 'from-env', NETFLEET_INTERVAL: '20', POD_NAMESPACE: 'agents' }, flags: { interval: '10' },
    });
    expect(options).toMatchObject({ repo: 'https://git.example.com/fleet.git', cluster: 'from-env', interval: 10, branch: 'file-branch', namespace: 'agents' });
  });

  it('checks links every minute, stale after 3 minutes, with probes, unless told otherwise', async () => {
    expect(await resolveAgentOptions({ flags: { repo: '/fleet', cluster: 'c' }, env: {} })).toMatchObject({
      linkInterval: 60, linkStaleAfter: 180, linkProbes: true, linkProbeTimeout: 5, linkProbeConcurrency: 8,
    });
    const file = await configFile('repo: /fleet\ncluster: c\nlinkProbes: false\nlinkProbeCaFile: /etc/peers.pem\n');
    const options = await resolveAgentOptions({ configFile: file, env: { NETFLEET_LINK_STALE_AFTER: '300' }, flags: { linkInterval: '15' } });
    expect(options).toMatchObject({ linkInterval: 15, linkStaleAfter: 300, linkProbes: false, linkProbeCaFile: '/etc/peers.pem' });
    expect((await resolveAgentOptions({ flags: { repo: '/fleet', cluster: 'c' }, env: { NETFLEET_LINK_PROBES: 'false' } })).linkProbes).toBe(false);
  });

  it('takes KUBECONFIG when no kubeconfig option is given', async () => {
    const options = await resolveAgentOptions({ flags: { repo: '/fleet', cluster: 'c' }, env: { KUBECONFIG: '/etc/kube.yaml' } });
    expect(options.kubeconfig).toBe('/etc/kube.yaml');
  });

  it.each([
    { name: 'a missing cluster', flags: { repo: '/fleet' }, message: /missing option cluster/ },
    { name: 'a prune limit above 1', flags: { repo: '/fleet', cluster: 'c', pruneLimit: '1.5' }, message: /pruneLimit is "1.5"; expected a number from 0 to 1/ },
    { name: 'an unknown drift mode', flags: { repo: '/fleet', cluster: 'c', driftMode: 'fix' }, message: /driftMode is "fix"; expected one of correct, alert/ },
    { name: 'enforce without keys', flags: { repo: '/fleet', cluster: 'c', verify: 'enforce' }, message: /no trusted keys/ },
    { name: 'hub credentials without a hub URL', flags: { repo: '/fleet', cluster: 'c', hubCredentials: '/c.json' }, message: /hubCredentials needs the hub's URL/ },
    { name: 'a link probe timeout of 0', flags: { repo: '/fleet', cluster: 'c', linkProbeTimeout: '0' }, message: /linkProbeTimeout is "0"; expected a number from 0.1 to 300/ },
    { name: 'no probes in flight', flags: { repo: '/fleet', cluster: 'c', linkProbeConcurrency: '0' }, message: /linkProbeConcurrency is "0"; expected a number from 1 to 256/ },
  ])('refuses $name with AGENT_CONFIG', async ({ flags, message }) => {
    await expect(resolveAgentOptions({ flags, env: {} })).rejects.toMatchObject({ code: 'AGENT_CONFIG', message: expect.stringMatching(message) });
  });

  it('takes an SSH repository with its deploy key and known_hosts, and names the flags when they are missing', async () => {
    const options = await resolveAgentOptions({
      flags: { repo: 'git@github.com:org/fleet.git', cluster: 'a', gitSshKeyFile: '/etc/netfleet/git/key' },
      env: { NETFLEET_GIT_SSH_KNOWN_HOSTS_FILE: '/etc/netfleet/git/known_hosts' },
    });
    expect(options).toMatchObject({ gitSshKeyFile: '/etc/netfleet/git/key', gitSshKnownHostsFile: '/etc/netfleet/git/known_hosts' });
    await expect(resolveAgentOptions({ flags: { repo: 'ssh://git@git.example/fleet.git', cluster: 'a' }, env: {} }))
      .rejects.toMatchObject({ message: expect.stringContaining('is an SSH URL'), hint: expect.stringContaining('--git-ssh-known-hosts-file') });
  });

  it('refuses a config file that still points the agent at the hub\'s Redis (reports go to the hub API)', async () => {
    const file = await configFile('repo: /fleet\ncluster: c\nhubRedisUrl: redis://hub:6379\n');
    await expect(resolveAgentOptions({ configFile: file, env: {} })).rejects.toMatchObject({ code: 'AGENT_CONFIG', message: expect.stringMatching(/unknown option\(s\) hubRedisUrl/) });
  });

  it('refuses unknown keys in the config file, naming the file', async () => {
    const file = await configFile('repo: /fleet\ncluster: c\nintervall: 5\n');
    await expect(resolveAgentOptions({ configFile: file, env: {} })).rejects.toMatchObject({ code: 'AGENT_CONFIG', message: expect.stringContaining(`${file}: unknown option(s) intervall`) });
  });
});
