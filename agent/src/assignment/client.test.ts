import { describe, expect, it } from 'vitest';
import { resolveAgentOptions } from '../daemon/options.js';
import { backoffDelay } from './client.js';

describe('backoffDelay', () => {
  it.each([
    { failures: 1, random: 1, expected: 500 },
    { failures: 2, random: 1, expected: 1_000 },
    { failures: 4, random: 0.5, expected: 2_000 },
    { failures: 10, random: 1, expected: 30_000 },
    { failures: 1_000, random: 1, expected: 30_000 },
    { failures: 3, random: 0, expected: 0 },
  ])('waits $expected ms after $failures failure(s) with jitter $random', ({ failures, random, expected }) => {
    expect(backoffDelay(failures, 500, 30_000, () => random)).toBe(expected);
  });
});

describe('when the options name a hub URL', () => {
  const flags = { repo: 'https://git.example.com/fleet.git', cluster: 'eu-1', hubCredentials: '/etc/netfleet/credentials.json' };

  it('follows the hub with the cluster credentials and a git repository', async () => {
    const options = await resolveAgentOptions({ flags: { ...flags, hubUrl: 'https://hub.example.com' }, env: {} });
    expect(options.hubUrl).toBe('https://hub.example.com');
  });

  it.each([
    { case: 'without credentials', extra: { hubCredentials: undefined }, message: /hubUrl needs the cluster's credentials/ },
    { case: 'with a local directory', extra: { repo: '/srv/fleet' }, message: /a local directory cannot apply an assigned revision/ },
    { case: 'with a URL that is not http', extra: { hubUrl: 'hub.example.com' }, message: /option hubUrl is "hub.example.com"; expected an http/ },
  ])('refuses a hub URL $case', async ({ extra, message }) => {
    await expect(resolveAgentOptions({ flags: { ...flags, hubUrl: 'https://hub.example.com', ...extra }, env: {} })).rejects.toThrow(message);
  });
});
