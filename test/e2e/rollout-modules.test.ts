/**
 * A commit that enables a module and adds resources of a kind the module serves, rolled out
 * through real agent daemons. Each agent applies the ModuleConfig and reports the resources
 * as waiting for the module (a progressing sync, not a failed one); Deckhouse, played by the
 * test, serves the module's CRDs once it sees the ModuleConfig; the agent's retry applies the
 * resources, and every wave succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason, SyncStatus } from '@netfleet/shared';
import { clientFor } from '../../agent/test/harness.js';
import { CLUSTERS, RolloutFleet, canaryWave, eventually, rolloutPolicy, type TestAgent } from './rollout-fleet.js';

const isIstio = (file: string) => file.startsWith('istio/');

/** The istio module on, and an istio resource (a federation with a partner mesh) in the same commit. */
const ENABLE_ISTIO = {
  'manifests/base/istio-module.yaml': 'apiVersion: deckhouse.io/v1alpha1\nkind: ModuleConfig\nmetadata:\n  name: istio\nspec:\n  enabled: true\n',
  'manifests/base/partner.yaml': 'apiVersion: deckhouse.io/v1alpha1\nkind: IstioFederation\nmetadata:\n  name: partner\nspec:\n  trustDomain: partner.local\n  metadataEndpoint: https://istio.partner.example.com/metadata/\n',
};
const partner = { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', name: 'partner' };

describe('when a commit enables a module and adds its resources together', () => {
  const fleet = new RolloutFleet({
    policy: rolloutPolicy([canaryWave({ bakeTime: '1s' }), { name: 'rest', selector: { all: true }, maxParallel: 2 }], { onFailure: 'pause' }),
    clusters: CLUSTERS.filter((cluster) => ['eu-1', 'eu-2', 'us-1'].includes(cluster.name)),
    crds: (file) => !isIstio(file),
  });

  beforeAll(async () => {
    await fleet.start();
  });

  afterAll(() => fleet.close());

  /**
   * Deckhouse enabling the module: it serves the CRDs some time after the ModuleConfig
   * appears; here, once the hub has heard the agent report the resources waiting for it.
   */
  async function deckhouseEnablesIstio(agent: TestAgent, revision: string): Promise<void> {
    const deckhouse = clientFor(agent.kube, 'deckhouse');
    await eventually(async () => expect(await deckhouse.get({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', name: 'istio' })).toMatchObject({ spec: { enabled: true } }));
    await eventually(async () => expect((await fleet.hubs[0]!.fleet.detail(agent.name))?.sync).toMatchObject({
      revision, status: SyncStatus.Progressing, reason: SyncReason.WaitingForModule,
    }));
    await agent.kube.installDkpCrds(isIstio);
  }

  it('rolls it out wave by wave: the clusters wait for the module, no wave fails', async () => {
    const revision = await fleet.commit(ENABLE_ISTIO);
    const sampler = fleet.sample(revision, (rollout) => {
      expect(rollout.phase, rollout.reason ?? '').not.toMatch(/^(paused|failed|rolledBack)$/);
      expect(Object.entries(rollout.clusters).filter(([, cluster]) => cluster.status === 'failed')).toEqual([]);
    });
    let rollout;
    try {
      await Promise.all(fleet.agents.map((agent) => deckhouseEnablesIstio(agent, revision)));
      rollout = await fleet.waitForPhase(revision, 'done');
    } finally {
      // A wave failed on the way is the failure to show, not the wait it cut short.
      await sampler.stop();
    }
    expect(rollout.reason).toBeNull();
    for (const agent of fleet.agents) {
      expect(await clientFor(agent.kube).get(partner), agent.name).toBeDefined();
      expect(agent.daemon.lastResult, agent.name).toMatchObject({ appliedRevision: revision, reason: SyncReason.Succeeded });
    }
  });
});
