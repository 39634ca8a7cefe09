/**
 * Acceptance of the "no new link failures" gate (issue 7) with the real agent daemon on 12
 * clusters, three of them in a federation: a link that already failed before a cluster got
 * the revision does not hold the rollout, and a link that fails on the canary while it
 * bakes rolls the commit back before any other cluster receives it. The test plays DKP by
 * writing link statuses through the status subresource; the agents report the links, the
 * hub keeps since when each fails, and the controller judges the gate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkState } from '@netfleet/shared/protocol/links';
import { writeLinkStatuses } from './dkp-links.js';
import { RolloutFleet, canaryWave, eventually, rolloutPolicy } from './rollout-fleet.js';

const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
const MESH = {
  'mesh/groups.yaml': `apiVersion: netfleet.io/v1alpha1
kind: MeshGroup
metadata:
  name: payments
spec:
  type: federation
  members: [${MEMBERS.join(', ')}]
`,
};

const policy = (canaryBake: string) => rolloutPolicy([
  canaryWave({ bakeTime: canaryBake, deadline: '10m' }),
  { name: 'region-1', selector: { regions: ['eu'] }, maxParallel: 2, bakeTime: '1s', deadline: '10m' },
  { name: 'rest', selector: { all: true }, maxParallel: '50%', deadline: '10m' },
], { onFailure: 'rollback' });

describe('when links fail around a rollout', () => {
  const fleet = new RolloutFleet({ policy: policy('1s'), files: MESH });
  const hub = () => fleet.hubs[0]!;

  beforeAll(async () => {
    await fleet.start();
    for (const member of MEMBERS) await writeLinkStatuses(fleet.agent(member).kube, MEMBERS, 'healthy');
    await eventually(() => {
      const cells = hub().linkHealth.links.view({ group: 'payments' }).groups[0]!.cells;
      expect(cells.map((cell) => cell.state)).toEqual(new Array(6).fill(LinkState.Healthy));
    }, { intervalMs: 100 });
  });

  afterAll(() => fleet.close());

  it('does not hold the rollout for a link that failed before the cluster got the revision', async () => {
    await writeLinkStatuses(fleet.agent('us-1').kube, ['eu-2'], 'stale');
    await eventually(() => expect(hub().linkHealth.links.linkFailures('eu-2').map((failure) => [failure.from, failure.state])).toEqual([['us-1', LinkState.Stale]]));

    const revision = await fleet.commit({});
    const rollout = await fleet.waitForPhase(revision, 'done');
    expect(rollout.clusters['eu-2']).toMatchObject({ status: 'ready', gates: { noNewLinkFailures: true } });
    await eventually(() => {
      for (const agent of fleet.agents) expect(agent.revision, agent.name).toBe(revision);
    });
    await writeLinkStatuses(fleet.agent('us-1').kube, ['eu-2'], 'healthy');
    await eventually(() => expect(hub().linkHealth.links.linkFailures('eu-2')).toEqual([]));
  });

  it('rolls back a commit whose canary loses a link while it bakes, before any other cluster gets it', async () => {
    const good = (await fleet.store.lastGoodRevision())!;
    const bad = await fleet.commit({ 'rollout/default.yaml': policy('10m') });
    const baking = await fleet.waitForPhase(bad, 'baking');
    expect(baking.clusters['eu-1']!.gates.noNewLinkFailures).toBe(true);

    await writeLinkStatuses(fleet.agent('eu-1').kube, ['eu-2'], 'stale');
    const rollout = await fleet.waitForPhase(bad, 'rolledBack');
    expect(rollout.clusters['eu-1']).toMatchObject({ status: 'rolledBack' });
    expect(rollout.reason).toMatch(/noNewLinkFailures.*eu-1→eu-2 stale/);
    const status = await fleet.status(bad);
    expect(status.reason).toMatch(/eu-1→eu-2 stale/);
    // The status names the link on the cluster too, as `netfleet rollout status` shows it.
    expect(status.waves[0]!.clusters).toEqual([expect.objectContaining({
      name: 'eu-1', status: 'rolledBack', failingGates: ['noNewLinkFailures'], gateDetails: { noNewLinkFailures: expect.stringContaining('eu-1→eu-2 stale') },
    })]);

    await eventually(() => expect(fleet.agent('eu-1').daemon.lastResult).toMatchObject({ revision: good, appliedRevision: good }));
    const assignments = await fleet.store.assignments();
    for (const agent of fleet.agents) {
      expect(assignments.get(agent.name)?.revision, agent.name).toBe(good);
      if (agent.name !== 'eu-1') expect(agent.applied, agent.name).not.toContain(bad);
    }
  });
});
