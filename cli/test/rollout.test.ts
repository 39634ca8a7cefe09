import { deleteKeysWithPrefix } from '@netfleet/test';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type RolloutDetail, type RolloutPolicy, type RolloutSummary } from '@netfleet/shared';
import { Hub } from '@netfleet/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRolloutList, formatRolloutStatus, formatSeconds } from '../src/commands/rollout.js';
import { main } from '../src/main.js';
import { captureIO } from './io.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';

const NOW = Date.parse('2026-11-26T12:00:00Z');


const summary: RolloutSummary = {
  id: '3f2a9c1d0b7e', revision: '3f2a9c1d0b7e44556677889900aabbccddeeff00', previousRevision: '1111111111112222222222223333333333334444',
  policy: 'default', phase: 'progressing', wave: 1, waveCount: 3, clusterCount: 4,
  hold: { reason: 'appliedAndReady', clusters: ['e1', 'e2'], until: null }, reason: null,
  createdAt: '2026-11-26T11:40:00.000Z', updatedAt: '2026-11-26T11:57:00.000Z',
};

describe('formatSeconds', () => {
  it.each([[0, '0s'], [45, '45s'], [600, '10m'], [5400, '1h30m'], [3661, '1h1m1s'], [7200, '2h']])('writes %i seconds as %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe('formatRolloutList', () => {
  it('shows one line per rollout with its wave and what holds it', () => {
    const done: RolloutSummary = { ...summary, id: '1111111111112', revision: '1111111111112222', phase: 'done', wave: 3, hold: null, updatedAt: '2026-11-25T12:00:00.000Z' };
    expect(formatRolloutList([summary, done], NOW)).toBe([
      'ID             REVISION      POLICY   PHASE        WAVE  HELD BY                  UPDATED',
      '3f2a9c1d0b7e   3f2a9c1d0b7e  default  progressing  2/3   appliedAndReady: e1, e2  3m ago',
      '1111111111112  111111111111  default  done         3/3   -                        24h ago',
      '',
    ].join('\n'));
  });

  it('says so when there are none', () => {
    expect(formatRolloutList([], NOW)).toBe('No rollouts yet.\n');
  });
});

describe('formatRolloutStatus', () => {
  it('shows each wave, each cluster with its state, the hold and the events', () => {
    const detail: RolloutDetail = {
      ...summary, phase: 'paused', reason: 'wave eu missed its deadline, held by online on e2',
      hold: { reason: 'online', clusters: ['e2'], until: null }, failurePolicy: 'pause', deadlineAt: null,
      blackout: { active: false, endsAt: null }, excluded: ['lab-1'], carriedOver: [],
      waves: [
        { name: 'canary', state: 'done', maxParallel: 1, bakeTimeSeconds: 600, deadlineSeconds: 1800, startedAt: null, bakeStartedAt: null, completedAt: null,
          clusters: [{ name: 'c1', status: 'ready', attempt: 1, online: true, applied: true, ready: true, failingGates: [], reason: null }] },
        { name: 'eu', state: 'held', maxParallel: 2, bakeTimeSeconds: 3600, deadlineSeconds: null, startedAt: null, bakeStartedAt: null, completedAt: null,
          clusters: [
            { name: 'e1', status: 'updating', attempt: 2, online: true, applied: true, ready: false, failingGates: ['noNewDrift', 'noNewLinkFailures'], gateDetails: { noNewLinkFailures: 'e1→u1 stale' }, reason: null },
            { name: 'e2', status: 'updating', attempt: 1, online: false, applied: false, ready: false, failingGates: [], reason: null },
          ] },
        { name: 'us', state: 'waiting', maxParallel: 1, bakeTimeSeconds: 0, deadlineSeconds: null, startedAt: null, bakeStartedAt: null, completedAt: null,
          clusters: [{ name: 'u1', status: 'pending', attempt: 0, online: true, applied: false, ready: false, failingGates: [], reason: null }] },
      ],
      notices: [{ kind: 'paused', message: 'paused: wave eu missed its deadline, held by online on e2', at: '2026-11-26T11:57:00.000Z', wave: 1 }],
    };
    expect(formatRolloutStatus(detail, NOW)).toBe([
      'Rollout:     3f2a9c1d0b7e',
      'Revision:    3f2a9c1d0b7e44556677889900aabbccddeeff00 (rolls back to 1111111111112222222222223333333333334444)',
      'Policy:      default (on failure: pause)',
      'Phase:       paused — wave eu missed its deadline, held by online on e2',
      'Wave:        2/3',
      'Held by:     online: e2',
      'Deadline:    -',
      'Blackout:    no',
      'Started:     20m ago, updated 3m ago',
      'Waves:',
      '  1. canary  done  (1 at a time, bake 10m, deadline 30m)',
      '       c1  ready',
      '  2. eu  held  (2 at a time, bake 1h)',
      '       e1  updating  attempt 2; failing noNewDrift, noNewLinkFailures (e1→u1 stale)',
      '       e2  updating  offline',
      '  3. us  waiting  (1 at a time, bake 0s)',
      '       u1  pending',
      'Excluded:    lab-1',
      'Events:',
      '  2026-11-26T11:57:00.000Z  paused  paused: wave eu missed its deadline, held by online on e2',
      '',
    ].join('\n'));
  });
});

describe('when `netfleet rollout` talks to a hub', () => {
  const ADMIN = 'rollout-cli-admin-token-0123456789';
  const REVISION = 'abcdefabcdef0123456789abcdefabcdef012345';
  const policy: RolloutPolicy = {
    name: 'canary-first',
    waves: [
      { name: 'canary', selector: { names: ['c1'] }, maxParallel: undefined, bakeTimeSeconds: 600, deadlineSeconds: undefined },
      { name: 'rest', selector: { all: true }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: undefined },
    ],
    gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
    onFailure: 'pause', unselectedClusters: 'lastWave', blackouts: undefined, source: { file: 'rollout.yaml', document: 'RolloutPolicy/canary-first' },
  };
  const prefix = `{nf-cli-rollout-${randomBytes(4).toString('hex')}}`;
  let hub: Hub;
  let dir: string;
  let flags: string[];

  beforeAll(async () => {
    hub = new Hub({
      redisUrl: REDIS_URL, prefix, secret: 'rollout-cli-secret-0123456789abcdef0123',
      adminTokens: [ADMIN], logger: createLogger({ name: 'cli-test', level: 'silent' }), sweeper: false, rollouts: false, ingest: false,
    });
    await hub.start();
    const api = await hub.api();
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    for (const name of ['c1', 'c2']) {
      const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
      await hub.registry.register(bootstrap.token, { cluster: name, region: 'eu', labels: {} });
    }
    await hub.rollouts.heads.publish({ revision: REVISION, policy, seenAt: Date.now() });
    await hub.rollouts.controller.tick();
    dir = await mkdtemp(join(tmpdir(), 'netfleet-rollout-cli-'));
    await writeFile(join(dir, 'token'), `${ADMIN}\n`);
    flags = ['--hub-url', url, '--token-file', join(dir, 'token')];
  });

  afterAll(async () => {
    await hub.close();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the rollouts', async () => {
    const { io, text } = captureIO();
    expect(await main(['rollout', 'list', ...flags], io)).toBe(0);
    expect(text.out).toMatch(/^ID\s+REVISION\s+POLICY\s+PHASE\s+WAVE\s+HELD BY\s+UPDATED\nabcdefabcdef\s+abcdefabcdef\s+canary-first\s+progressing\s+1\/2\s+online: c1/);
  });

  it('pauses with a reason and shows the result, then refuses a promote with the hub\'s reason', async () => {
    const paused = captureIO();
    expect(await main(['rollout', 'pause', 'abcdefabcdef', '--reason', 'checking dashboards', ...flags], paused.io)).toBe(0);
    expect(paused.text.out).toContain('Phase:       paused — checking dashboards\n');
    const refused = captureIO();
    expect(await main(['rollout', 'promote', 'abcdefabcdef', ...flags], refused.io)).toBe(2);
    expect(refused.text.err).toBe('ERR HUB_ROLLOUT_REFUSED: rollout abcdefabcdef: only a baking wave can be promoted, the rollout is paused\n  hint: see GET /api/v1/rollouts/abcdefabcdef\n');
  });

  it('shows one rollout as JSON', async () => {
    const { io, text } = captureIO();
    expect(await main(['rollout', 'status', 'abcdefabcdef', '-o', 'json', ...flags], io)).toBe(0);
    expect(JSON.parse(text.out)).toMatchObject({ id: 'abcdefabcdef', phase: 'paused', waves: [{ name: 'canary' }, { name: 'rest' }] });
  });

  it.each([
    ['an unknown action', ['rollout', 'dance'], /error: command-argument value 'dance' is invalid/],
    ['a control without an id', ['rollout', 'pause'], /ERR CLI_USAGE: rollout pause needs a rollout id/],
    ['an unknown rollout', ['rollout', 'status', 'ffffffffffff'], /ERR HUB_NOT_FOUND: rollout ffffffffffff does not exist/],
    ['a malformed rollout id', ['rollout', 'status', 'nope'], /ERR HUB_INVALID_REQUEST: invalid params\/id: expected a rollout id/],
  ])('exits 2 on %s', async (_name, argv, message) => {
    const { io, text } = captureIO();
    expect(await main([...argv, ...flags], io)).toBe(2);
    expect(text.err).toMatch(message);
  });
});
