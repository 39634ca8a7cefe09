/**
 * A rollout through every sync reason an agent can report: the hub advances a wave on
 * success, waits through progressing syncs and transient failures (the agent retries them)
 * until the wave's deadline, and fails the cluster at once only on a terminal failure.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason, type RolloutPolicy } from '@netfleet/shared';
import type { RolloutController } from '../../src/rollout/controller.js';
import type { FleetHeads } from '../../src/rollout/heads.js';
import { rolloutIdOf } from '../../src/rollout/ids.js';
import type { Rollout } from '../../src/rollout/machine.js';
import type { RolloutStore } from '../../src/rollout/store.js';
import { syncBody } from '../helpers.js';
import { rolloutHub, type RolloutHub } from './rollout-hub.js';

const DEADLINE_SECONDS = 600;

/** The canary alone, then everyone else; a failure pauses. */
const policy: RolloutPolicy = {
  name: 'reasons',
  waves: [
    { name: 'canary', selector: { names: ['canary'] }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: DEADLINE_SECONDS },
    { name: 'rest', selector: { all: true }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: DEADLINE_SECONDS },
  ],
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'pause',
  unselectedClusters: 'lastWave',
  blackouts: undefined,
  source: { file: 'rollout/reasons.yaml', document: 'RolloutPolicy/reasons' },
};

/** What the canary wave does when the canary's sync ends in each reason: written out, not derived. */
const expected: Record<SyncReason, 'advances' | 'waits' | 'fails'> = {
  [SyncReason.Succeeded]: 'advances',
  [SyncReason.FetchFailed]: 'waits',
  [SyncReason.SignatureInvalid]: 'fails',
  [SyncReason.RenderFailed]: 'fails',
  [SyncReason.ValidationFailed]: 'fails',
  [SyncReason.ApplyFailed]: 'waits',
  [SyncReason.ConflictDetected]: 'fails',
  [SyncReason.WaitingForModule]: 'waits',
  [SyncReason.WaitingForNamespace]: 'waits',
  [SyncReason.PruneLimitExceeded]: 'fails',
  [SyncReason.PruneFailed]: 'waits',
  [SyncReason.HealthCheckFailed]: 'waits',
  [SyncReason.WaitingForReadiness]: 'waits',
  [SyncReason.ClusterUnreachable]: 'waits',
};

/** The syncs that leave the objects they could apply in the cluster (the rest keep the old revision). */
const PARTIAL = new Set<SyncReason>([SyncReason.WaitingForModule, SyncReason.WaitingForNamespace, SyncReason.WaitingForReadiness]);

describe('a rollout through every sync reason', () => {
  let fixture: RolloutHub;
  let store: RolloutStore;
  let heads: FleetHeads;
  let controller: RolloutController;
  /** The revision the canary runs. */
  let running = '';

  /** The canary's agent reports a sync of `revision` ending in `reason`, then its heartbeat. */
  async function canaryReports(revision: string, reason: SyncReason): Promise<void> {
    if (reason === SyncReason.Succeeded || PARTIAL.has(reason)) running = revision;
    const waiting = PARTIAL.has(reason) ? 1 : 0;
    await fixture.agentsReport(['canary'], () => ({
      sync: syncBody(revision, reason),
      heartbeat: { revision: running, objects: 5, driftCount: 0, agentVersion: '0.1.0', readiness: { ready: 5 - waiting, notReady: 0, waiting } },
    }));
  }

  /** Publishes a new head (superseding the last reason's rollout) and starts its rollout. */
  async function rolloutOfNewRevision(): Promise<string> {
    const revision = randomBytes(20).toString('hex');
    await heads.publish({ revision, policy, seenAt: Date.now() });
    const started = await controller.tick();
    expect(started.rollout?.revision).toBe(revision);
    expect((await store.assignment('canary'))?.revision).toBe(revision);
    return revision;
  }

  const rolloutOf = async (revision: string): Promise<Rollout> => (await store.get(rolloutIdOf(revision)))!;

  beforeAll(async () => {
    fixture = await rolloutHub('rollout-reasons', [{ name: 'canary', region: 'eu' }, { name: 'other', region: 'eu' }]);
    ({ store, heads } = fixture);
    controller = fixture.controller({ replicaId: 'reasons' });
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it.each(Object.values(SyncReason))('a canary sync ending in %s', async (reason) => {
    const revision = await rolloutOfNewRevision();
    await canaryReports(revision, reason);
    const now = Date.now();
    await controller.tick(now);
    const rollout = await rolloutOf(revision);

    switch (expected[reason]) {
      case 'advances':
        expect(rollout.phase).toBe('progressing');
        expect(rollout.wave).toBe(1);
        expect(rollout.clusters.canary!.status).toBe('ready');
        break;
      case 'waits': {
        expect(rollout.phase).toBe('progressing');
        expect(rollout.wave).toBe(0);
        expect(rollout.clusters.canary).toMatchObject({ status: 'updating', reason: null });
        // Nothing but the wave's deadline fails it.
        await controller.tick(now + DEADLINE_SECONDS * 1000 - 1_000);
        expect((await rolloutOf(revision)).phase).toBe('progressing');
        await controller.tick(now + DEADLINE_SECONDS * 1000 + 1_000);
        const late = await rolloutOf(revision);
        expect(late.phase).toBe('paused');
        expect(late.reason).toMatch(/^wave canary missed its deadline, held by \w+ on canary$/);
        break;
      }
      case 'fails':
        expect(rollout.phase).toBe('paused');
        expect(rollout.clusters.canary!.status).toBe('failed');
        expect(rollout.reason).toBe(`cluster canary failed to apply: ${reason}: apply refused`);
        break;
    }
  });

  it('advances the wave once a progressing canary\'s retry succeeds, before the deadline', async () => {
    const revision = await rolloutOfNewRevision();
    await canaryReports(revision, SyncReason.WaitingForModule);
    await controller.tick();
    await canaryReports(revision, SyncReason.ApplyFailed);
    await controller.tick();
    expect(await rolloutOf(revision)).toMatchObject({ phase: 'progressing', wave: 0 });
    await canaryReports(revision, SyncReason.Succeeded);
    await controller.tick();
    expect(await rolloutOf(revision)).toMatchObject({ phase: 'progressing', wave: 1 });
  });
});
