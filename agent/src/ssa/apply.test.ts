import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { Action, type KubeObject, type RenderedObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { IMMUTABLE_CRD, immutableTable } from '@netfleet/test/kube/immutable-crd';
import { kubectlPatch } from '../../test/kubectl.js';
import { clientFor, configMap, eventually, ingressController, moduleConfig, namespace, rendered, startCluster, uniqueName } from '../../test/harness.js';
import { KubeClient } from '../kube/client.js';
import { applyAllStaged, applyStage, discoverKinds, kindKey, listLive, planObject, PlanOutcome } from './apply.js';
import { AppliedMemo } from './memo.js';

let kube: KubeApiServer;
let client: KubeClient;

beforeAll(async () => {
  kube = await startCluster({ crds: (file) => file.includes('ingress-nginx') || file.includes('deckhouse-controller') });
  client = clientFor(kube);
  await client.apply(IMMUTABLE_CRD, { force: false });
});
afterAll(() => kube.stop());

/** Plans one object; `previous` is the object as the revision applied last rendered it. */
async function plan(object: RenderedObject, memo = new AppliedMemo(), previous?: RenderedObject) {
  const kinds = await discoverKinds(client, [object]);
  const served = kinds.get(kindKey(object.object));
  const live = served ? await listLive(client, [served]) : new Map();
  return planObject(client, object, served, live.get(object.id), memo, { previous: async () => previous });
}

describe('when an object does not exist yet', () => {
  it('plans to apply it and creates it', async () => {
    const object = rendered(ingressController(uniqueName('create')));
    const memo = new AppliedMemo();
    const planned = await plan(object, memo);
    expect(planned.outcome).toBe(PlanOutcome.Apply);
    const [result] = await applyAllStaged(client, [planned], memo);
    expect(result!.entry.action).toBe(Action.Created);
    expect(await client.get({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: object.object.metadata.name })).toBeDefined();
  });
});

describe('when the cluster already matches', () => {
  it('reports it unchanged even though the server added defaults', async () => {
    const object = rendered(ingressController(uniqueName('same')));
    await client.apply(object.object, { force: false });
    const planned = await plan(object);
    expect(planned.outcome).toBe(PlanOutcome.Unchanged);
    expect(planned.fields).toEqual([]);
  });

  it('skips the dry run when the memo has seen this hash and resourceVersion', async () => {
    const object = rendered(ingressController(uniqueName('memo')));
    const memo = new AppliedMemo();
    await applyAllStaged(client, [await plan(object, memo)], memo);
    kube.audit.clear();
    const planned = await plan(object, memo);
    expect(planned.outcome).toBe(PlanOutcome.Unchanged);
    expect(kube.audit.filter((entry) => entry.dryRun)).toEqual([]);
  });
});

describe('when a managed field changed in git', () => {
  it('lists the field and configures the object, leaving the resourceVersion of unchanged ones alone', async () => {
    const name = uniqueName('change');
    const memo = new AppliedMemo();
    await applyAllStaged(client, [await plan(rendered(ingressController(name, { minReplicas: 1 })), memo)], memo);
    const changed = rendered(ingressController(name, { minReplicas: 3 }));
    const planned = await plan(changed, memo);
    expect(planned.outcome).toBe(PlanOutcome.Apply);
    expect(planned.fields).toEqual([{ path: '/spec/minReplicas', desired: 3, live: 1 }]);
    const [result] = await applyAllStaged(client, [planned], memo);
    expect(result!.entry.action).toBe(Action.Configured);
  });
});

describe('when another field manager owns a field the document sets', () => {
  const path = (name: string) => ({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name });
  const minReplicasOf = async (name: string) => ((await client.get(path(name)))!.spec as { minReplicas: number }).minReplicas;

  it('takes the field back for a drift: correct object, forcing as Flux does', async () => {
    const name = uniqueName('take-back');
    const memo = new AppliedMemo();
    const object = rendered(ingressController(name, { minReplicas: 2 }));
    await applyAllStaged(client, [await plan(object, memo)], memo);
    await kubectlPatch(kube, object.object, 'ingressnginxcontrollers', { spec: { minReplicas: 5 } }, 'intruder');
    const planned = await plan(object, memo);
    expect(planned.outcome).toBe(PlanOutcome.Apply);
    const [result] = await applyAllStaged(client, [planned], memo);
    expect(result!.entry.action).toBe(Action.Configured);
    expect(await minReplicasOf(name)).toBe(2);
  });

  it('conflicts under drift: alert when the revision changes the field, naming the field, the manager and the way out', async () => {
    const name = uniqueName('conflict');
    await clientFor(kube, 'other-tool').apply(ingressController(name, { minReplicas: 2 }), { force: false });
    const planned = await plan(rendered(ingressController(name, { minReplicas: 4 }), { drift: 'alert' }));
    expect(planned.outcome).toBe(PlanOutcome.Conflict);
    expect(planned.conflicts.map((conflict) => conflict.field)).toEqual(['.spec.minReplicas']);
    expect(planned.message).toContain('.spec.minReplicas (conflict with "other-tool"');
    expect(planned.message).toContain('policy.force: true');
  });

  it('leaves another manager\'s edit of a drift: alert object in place and applies the rest when the revision does not change the field', async () => {
    const name = uniqueName('alert-edit');
    const memo = new AppliedMemo();
    const before = rendered(ingressController(name, { minReplicas: 2, maxReplicas: 3 }), { drift: 'alert' });
    await applyAllStaged(client, [await plan(before, memo)], memo);
    await kubectlPatch(kube, before.object, 'ingressnginxcontrollers', { spec: { minReplicas: 5 } }, 'intruder');

    const same = await plan(before, memo, before);
    expect(same.outcome).toBe(PlanOutcome.Unchanged);
    expect(same.kept.map((conflict) => conflict.field)).toEqual(['.spec.minReplicas']);
    const [unchanged] = await applyAllStaged(client, [same], memo);
    expect(unchanged!.entry).toMatchObject({ action: Action.Unchanged, message: expect.stringContaining('.spec.minReplicas (conflict with "intruder"') });

    const next = rendered(ingressController(name, { minReplicas: 2, maxReplicas: 6 }), { drift: 'alert' });
    const planned = await plan(next, memo, before);
    expect(planned.outcome).toBe(PlanOutcome.Apply);
    const [result] = await applyAllStaged(client, [planned], memo);
    expect(result!.entry.action).toBe(Action.Configured);
    const live = (await client.get(path(name)))!.spec as { minReplicas: number; maxReplicas: number };
    expect(live).toMatchObject({ minReplicas: 5, maxReplicas: 6 });

    const changed = await plan(rendered(ingressController(name, { minReplicas: 3, maxReplicas: 6 }), { drift: 'alert' }), memo, next);
    expect(changed.outcome).toBe(PlanOutcome.Conflict);
    expect(changed.message).toContain('this revision changes fields another field manager owns: .spec.minReplicas (conflict with "intruder"');
  });

  it('takes the field over under drift: alert when the document says force', async () => {
    const name = uniqueName('forced');
    await clientFor(kube, 'other-tool').apply(ingressController(name, { minReplicas: 2 }), { force: false });
    const forced = rendered(ingressController(name, { minReplicas: 4 }), { force: true, drift: 'alert' });
    const memo = new AppliedMemo();
    const [result] = await applyAllStaged(client, [await plan(forced, memo)], memo);
    expect(result!.entry.action).toBe(Action.Configured);
    expect(await minReplicasOf(name)).toBe(4);
  });
});

describe('when a change touches an immutable field', () => {
  const frozen = (ns: string, value: string): KubeObject => ({ ...configMap(ns, 'frozen', { a: value }), immutable: true });

  async function created(object: RenderedObject): Promise<KubeObject> {
    const memo = new AppliedMemo();
    const [result] = await applyAllStaged(client, [await plan(object, memo)], memo);
    expect(result!.entry.action).toBe(Action.Created);
    return result!.object!;
  }

  it('refuses it terminally, naming the field and the way out (a built-in rule: immutable ConfigMap data)', async () => {
    const ns = uniqueName('immutable');
    await client.apply(namespace(ns), { force: false });
    await created(rendered(frozen(ns, '1')));
    const planned = await plan(rendered(frozen(ns, '2')));
    expect(planned.outcome).toBe(PlanOutcome.Invalid);
    expect(planned.message).toContain('cannot change immutable field data: ConfigMap "frozen" is invalid');
    expect(planned.message).toContain('set `policy.recreate: true`');
  });

  it('names the field of a CRD transition rule (self == oldSelf, as DKP\'s RoutingTable uses)', async () => {
    const name = uniqueName('table');
    await created(rendered(immutableTable(name, 100)));
    const planned = await plan(rendered(immutableTable(name, 101)));
    expect(planned.outcome).toBe(PlanOutcome.Invalid);
    expect(planned.message).toContain('cannot change immutable field spec.tableID');
  });

  it('deletes and re-creates the object when the document says policy.recreate', async () => {
    const name = uniqueName('table');
    const before = await created(rendered(immutableTable(name, 100)));
    const object = rendered(immutableTable(name, 101), { recreate: true });
    const memo = new AppliedMemo();
    const planned = await plan(object, memo);
    expect(planned.outcome).toBe(PlanOutcome.Recreate);
    const [result] = await applyAllStaged(client, [planned], memo);
    expect(result!.entry).toMatchObject({ action: Action.Created, message: 'immutable spec.tableID changed: re-creating' });
    const live = await client.get({ apiVersion: 'immutable.netfleet.test/v1', kind: 'Table', name });
    expect(live!.metadata.uid).not.toBe(before.metadata.uid);
    expect((live!.spec as { tableID: number }).tableID).toBe(101);
  });
});

describe('when a Namespace change is refused as immutable', () => {
  /** A client whose dry runs of Namespaces are refused as immutable (an admission webhook could). */
  class ImmutableNamespaces extends KubeClient {
    override apply(object: KubeObject, options: { force: boolean; dryRun?: boolean }): Promise<KubeObject> {
      if (object.kind === 'Namespace' && options.dryRun) {
        const body = { kind: 'Status', reason: 'Invalid', message: 'Namespace is invalid', details: { causes: [{ field: 'metadata.labels', message: 'Invalid value: field is immutable' }] } };
        return Promise.reject(new ApiException(422, 'Unsuccessful HTTP Request', body, {}));
      }
      return super.apply(object, options);
    }
  }

  it('never re-creates it, even under policy.recreate: deleting it would delete everything in it', async () => {
    const name = uniqueName('keep');
    await client.apply(rendered(namespace(name)).object, { force: false });
    const refusing = new ImmutableNamespaces({ kubeConfig: kube.kubeConfig() });
    const object = rendered(namespace(name), { recreate: true });
    const kinds = await discoverKinds(refusing, [object]);
    const planned = await planObject(refusing, object, kinds.get(kindKey(object.object)), undefined, new AppliedMemo());
    expect(planned.outcome).toBe(PlanOutcome.Invalid);
    expect(planned.message).toContain('cannot change immutable field metadata.labels');
  });
});

describe('when the kind is not served', () => {
  it('waits without a request for the object', async () => {
    const object = rendered({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: { name: 'peer' }, spec: {} });
    const planned = await plan(object);
    expect(planned.outcome).toBe(PlanOutcome.Waiting);
    const [result] = await applyAllStaged(client, [planned], new AppliedMemo());
    expect(result!.entry.action).toBe(Action.Waiting);
  });
});

describe('when the server refuses the object', () => {
  it('plans it invalid with the server\'s message', async () => {
    const planned = await plan(rendered(ingressController(uniqueName('bad'), { inlet: 'Teleport' })));
    expect(planned.outcome).toBe(PlanOutcome.Invalid);
    expect(planned.message).toMatch(/inlet/);
  });
});

describe('applying in stages', () => {
  it.each([
    { object: moduleConfig('istio'), namespaced: false, stage: 0 },
    { object: namespace('a'), namespaced: false, stage: 1 },
    { object: ingressController('main'), namespaced: false, stage: 2 },
    { object: configMap('a', 'b', {}), namespaced: true, stage: 3 },
  ])('puts $object.kind in stage $stage', ({ object, namespaced, stage }) => {
    expect(applyStage({ rendered: rendered(object), served: { apiVersion: object.apiVersion, kind: object.kind, resource: '', namespaced } })).toBe(stage);
  });

  it('creates a namespace before what lives in it, even when listed after it', async () => {
    const ns = uniqueName('ns');
    const objects = [rendered(configMap(ns, 'settings', { a: '1' })), rendered(namespace(ns)), rendered(moduleConfig('kube-dns'))];
    const memo = new AppliedMemo();
    const kinds = await discoverKinds(client, objects);
    const live = await listLive(client, [...kinds.values()].filter((kind) => kind !== undefined));
    const plans = await Promise.all(objects.map((object) => planObject(client, object, kinds.get(kindKey(object.object)), live.get(object.id), memo)));
    expect(plans.map((planned) => planned.outcome)).toEqual([PlanOutcome.Deferred, PlanOutcome.Apply, PlanOutcome.Apply]);
    kube.audit.clear();
    const results = await applyAllStaged(client, plans, memo);
    expect(results.map((result) => result.entry.action)).toEqual([Action.Created, Action.Created, Action.Created]);
    const writes = kube.audit.filter((entry) => entry.verb === 'patch' && !entry.dryRun).map((entry) => entry.resource);
    expect(writes).toEqual(['moduleconfigs', 'namespaces', 'configmaps']);
  });
});

describe('when the namespace of a new object is being deleted', () => {
  it('has the object wait with the server\'s reason, without retrying in place, and creates it once the namespace was re-created', async () => {
    const ns = uniqueName('ending');
    const memo = new AppliedMemo();
    await client.apply(rendered(namespace(ns)).object, { force: false });
    kube.holdTermination(true);
    try {
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      const object = rendered(configMap(ns, 'late', { a: '1' }));
      kube.audit.clear();
      const planned = await plan(object, memo);
      expect(planned.outcome).toBe(PlanOutcome.AwaitingNamespace);
      expect(planned.message).toContain(`namespace ${ns} is being deleted`);
      expect(planned.message).toContain(`unable to create new content in namespace ${ns} because it is being terminated`);
      // Retrying the request itself cannot help: one dry run, no backoff loop.
      expect(kube.audit.filter((entry) => entry.dryRun && entry.resource === 'configmaps')).toHaveLength(1);
      const [result] = await applyAllStaged(client, [planned], memo);
      expect(result!.entry.action).toBe(Action.Waiting);
    } finally {
      kube.holdTermination(false);
    }
    await eventually(async () => (await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) === undefined);
    const objects = [rendered(namespace(ns)), rendered(configMap(ns, 'late', { a: '1' }))];
    const kinds = await discoverKinds(client, objects);
    const plans = await Promise.all(objects.map((object) => planObject(client, object, kinds.get(kindKey(object.object)), undefined, memo)));
    const results = await applyAllStaged(client, plans, memo);
    expect(results.map((result) => result.entry.action)).toEqual([Action.Created, Action.Created]);
  });
});
