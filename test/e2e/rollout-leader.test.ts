/**
 * Acceptance of rollouts (issue 7) when the hub leader dies: two hub replicas on one Redis,
 * the leader in its own process killed with SIGKILL mid-rollout; the other replica takes
 * over within the lease time, no wave advances twice and no assignment is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutFleet, eventually, withinMaxParallel, wavePolicy as policy } from './rollout-fleet.js';

describe('when the hub leader is killed mid-rollout', () => {
  const LEASE_MS = 2_000;
  const fleet = new RolloutFleet({ policy: policy() });
  let leader: ChildProcess;

  beforeAll(async () => {
    await fleet.prepare();
    // The leader runs in its own process, so it can die without a word; it takes the lease first.
    leader = spawn(process.execPath, ['--import', 'tsx', new URL('./rollout-hub-process.ts', import.meta.url).pathname,
      JSON.stringify({ ...(await fleet.hubOptions({ replicaId: 'replica-a', leaseTtlMs: LEASE_MS })), logger: undefined })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(createInterface({ input: leader.stdout! }), 'line') as [string];
    expect(line).toBe('started');
    await eventually(async () => expect(await fleet.redis.get(fleet.keys.lease('rollout'))).toMatch(/^replica-a\//));
    const survivor = await fleet.createHub({ replicaId: 'replica-b', leaseTtlMs: LEASE_MS });
    await fleet.registerAgents();
    await survivor.start();
    await Promise.all(fleet.agents.map((agent) => agent.start(fleet.hubUrl)));
    await fleet.settle();
  });

  afterAll(async () => {
    leader?.kill('SIGKILL');
    await fleet.close();
  });

  it('lets the other replica continue once the lease lapses; no wave advances twice and no assignment is lost', async () => {
    expect(await fleet.redis.get(fleet.keys.lease('rollout'))).toMatch(/^replica-a\//);
    const revision = await fleet.commit({});
    const sampler = fleet.sample(revision, withinMaxParallel);
    await eventually(async () => expect((await fleet.rollout(revision))?.wave).toBe(1), { intervalMs: 20 });

    leader.kill('SIGKILL');
    await once(leader, 'exit');
    await eventually(async () => expect(await fleet.redis.get(fleet.keys.lease('rollout'))).toMatch(/^replica-b\//), { intervalMs: 20 });

    const done = await fleet.waitForPhase(revision, 'done');
    await sampler.stop();
    const notices = await fleet.store.notices(revision.slice(0, 12), 200);
    for (const kind of ['waveStarted', 'waveAdvanced']) {
      const waves = notices.filter((notice) => notice.kind === kind).map((notice) => notice.wave);
      expect(waves.sort(), kind).toEqual([...new Set(waves)].sort());
    }
    expect(notices.filter((notice) => notice.kind === 'waveStarted')).toHaveLength(done.plan.waves.length);
    const assignments = await fleet.store.assignments();
    await eventually(() => {
      for (const agent of fleet.agents) {
        expect(assignments.get(agent.name)?.revision, agent.name).toBe(revision);
        expect(agent.revision, agent.name).toBe(revision);
      }
    });
  });
});
