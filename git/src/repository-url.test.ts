import { describe, expect, it } from 'vitest';
import { parseRepositoryUrl } from './repository-url.js';

describe('parseRepositoryUrl', () => {
  it.each([
    { url: 'https://git.example/org/fleet.git', address: { kind: 'http', url: 'https://git.example/org/fleet.git' } },
    { url: 'git@github.com:org/fleet.git', address: { kind: 'ssh', host: 'github.com', port: 22, username: 'git', path: 'org/fleet.git' } },
    { url: 'github.com:org/fleet.git', address: { kind: 'ssh', host: 'github.com', port: 22, username: 'git', path: 'org/fleet.git' } },
    { url: 'ssh://deploy@git.example:2222/srv/fleet.git', address: { kind: 'ssh', host: 'git.example', port: 2222, username: 'deploy', path: '/srv/fleet.git' } },
    { url: 'ssh://git.example/~alice/fleet.git', address: { kind: 'ssh', host: 'git.example', port: 22, username: 'git', path: '~alice/fleet.git' } },
    { url: 'ssh://git@[::1]:2222/fleet.git', address: { kind: 'ssh', host: '::1', port: 2222, username: 'git', path: '/fleet.git' } },
  ])('reads $url as git does', ({ url, address }) => {
    expect(parseRepositoryUrl(url)).toEqual(address);
  });

  it.each(['/srv/git/fleet', './fleet', 'ftp://git.example/fleet.git', 'fleet'])('does not take %s for a remote repository', (url) => {
    expect(parseRepositoryUrl(url)).toBeUndefined();
  });
});
