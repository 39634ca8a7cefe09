import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorClass, SyncReason } from '@netfleet/shared';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { GitSource } from '@netfleet/git';
import {
  buildPack, copy, createSshSigner, delta, objectEntry, ofsDeltaEntry, startHostileGitFront, uploadPackResult, type CommitSigner,
} from '@netfleet/test';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { startCluster } from './harness.js';
import { quietLogger, reconcilerFor, startFleetRepo, type FleetRepo } from './fleet.js';
import { gitFleetSource } from '../src/daemon/sources.js';
import type { KubeClient } from '../src/kube/client.js';
import type { Reconciler } from '../src/reconcile/reconcile.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let reconciler: Reconciler;
let client: KubeClient;
let lastGood: string;

/** Writes the cluster received: none may happen when a sync fails before applying. */
const clusterWrites = () => kube.audit.filter((entry) => !entry.dryRun && ['create', 'update', 'patch', 'delete'].includes(entry.verb));
const ingressFile = () => readFile(join(fleet.tree.dir, 'network', 'ingress.yaml'), 'utf8');

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  ({ reconciler, client } = await reconcilerFor(kube, await fleet.source()));
  const first = await reconciler.reconcile();
  expect(first.reason).toBe(SyncReason.Succeeded);
  lastGood = first.appliedRevision;
}, 60_000);
afterAll(async () => {
  await kube?.stop();
  await fleet?.dispose();
});

describe('when the git server is down', () => {
  it('applies and prunes nothing, reports FetchFailed to retry, and stays at the last good revision', async () => {
    await fleet.tree.write({ 'network/ingress.yaml': (await ingressFile()).replace('proxy-body-size: 16m', 'proxy-body-size: 64m') });
    await fleet.publish('a change the agent cannot fetch yet');
    await fleet.server.stop();
    kube.audit.clear();
    try {
      const result = await reconciler.reconcile();
      expect(result.reason).toBe(SyncReason.FetchFailed);
      expect(result.errorClass).toBe(ErrorClass.Transient);
      expect(result.message).toMatch(/unreachable|connect/i);
      expect(result.appliedRevision).toBe(lastGood);
      expect(clusterWrites()).toEqual([]);
    } finally {
      await fleet.server.start();
    }
    const recovered = await reconciler.reconcile();
    expect(recovered.reason).toBe(SyncReason.Succeeded);
    lastGood = recovered.appliedRevision;
  });
});

describe('when a commit has invalid configuration', () => {
  it('applies and prunes nothing, reports RenderFailed naming the file, and stays at the last good revision', async () => {
    await fleet.tree.write({ 'network/ingress.yaml': (await ingressFile()).replace('inlet: LoadBalancer', 'inlet: Teleport') });
    // Also drop a document: a broken commit must not prune either.
    await fleet.tree.remove('network/egress.yaml');
    const broken = await fleet.publish('broken ingress');
    kube.audit.clear();
    const result = await reconciler.reconcile();
    expect(result.reason).toBe(SyncReason.RenderFailed);
    expect(result.errorClass).toBe(ErrorClass.Terminal);
    expect(result.revision).toBe(broken);
    expect(result.message).toContain('network/ingress.yaml');
    expect(result.appliedRevision).toBe(lastGood);
    expect(clusterWrites()).toEqual([]);
    expect(await client.get({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', name: 'partners' })).toBeDefined();
  });
});

describe('when the API server refuses an object in a namespace the same commit creates', () => {
  it('applies nothing, not even the namespace, and reports ValidationFailed naming the field', async () => {
    await fleet.tree.write({
      'network/ingress.yaml': (await ingressFile()).replace('inlet: Teleport', 'inlet: LoadBalancer'),
      'manifests/base/analytics.yaml': [
        'apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: analytics', '---',
        'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata:', '  name: deny-all', '  namespace: analytics',
        'spec:', '  podSelector: {}', '  policyTypes: [Ingress]', '  ingresss: []', '',
      ].join('\n'),
    });
    await fleet.publish('analytics namespace with a typo');
    kube.audit.clear();
    const result = await reconciler.reconcile();
    expect(result.reason).toBe(SyncReason.ValidationFailed);
    expect(result.message).toContain('ingresss');
    expect(result.appliedRevision).toBe(lastGood);
    expect(clusterWrites()).toEqual([]);
    expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'analytics' })).toBeUndefined();
    await fleet.tree.remove('manifests/base/analytics.yaml');
  });
});

describe('when signatures are enforced', () => {
  let signer: CommitSigner;
  let enforcing: Reconciler;

  beforeAll(async () => {
    signer = await createSshSigner();
    ({ reconciler: enforcing } = await reconcilerFor(kube, await fleet.source({ verification: { mode: 'enforce', sshKeys: [signer.publicKey] } })));
  });
  afterAll(() => signer?.dispose());

  it('applies a revision signed by a trusted key', async () => {
    const signed = await fleet.publish('fix the ingress, signed', { signer });
    const result = await enforcing.reconcile();
    expect(result.message).toBeUndefined();
    expect(result.appliedRevision).toBe(signed);
    lastGood = signed;
  });

  it('refuses an unsigned revision: nothing applied or pruned, SignatureInvalid reported, last good revision kept', async () => {
    await fleet.tree.write({ 'network/ingress.yaml': (await ingressFile()).replace('proxy-body-size: 64m', 'proxy-body-size: 1m') });
    await fleet.publish('unsigned change');
    kube.audit.clear();
    const result = await enforcing.reconcile();
    expect(result.reason).toBe(SyncReason.SignatureInvalid);
    expect(result.errorClass).toBe(ErrorClass.Terminal);
    expect(result.appliedRevision).toBe(lastGood);
    expect(clusterWrites()).toEqual([]);
  });
});

describe('when the git server sends a pack that refers to itself', () => {
  it('applies nothing, reports FetchFailed naming the invalid pack, and stays at the last good revision, under enforce too', async () => {
    const signer = await createSshSigner();
    const front = await startHostileGitFront(fleet.server);
    const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-agent-cache-'));
    const git = new GitSource({
      url: front.url(fleet.repo), cacheDir, logger: quietLogger(), verification: { mode: 'enforce', sshKeys: [signer.publicKey] },
    });
    try {
      const { reconciler: guarded } = await reconcilerFor(kube, gitFleetSource(git));
      await fleet.tree.write({ 'network/ingress.yaml': `${await ingressFile()}# fetched through a front that turns hostile\n` });
      const signed = await fleet.publish('signed, fetched through the front', { signer });
      expect((await guarded.reconcile()).appliedRevision).toBe(signed);

      await fleet.tree.write({ 'network/ingress.yaml': (await ingressFile()).replace(/proxy-body-size: \w+/, 'proxy-body-size: 2m') });
      await fleet.publish('a change the server answers with a hostile pack', { signer });
      // A ~70-byte pack whose offset delta is its own base: signature checks come after indexing.
      const blob = objectEntry('blob', 'ten bytes!');
      front.answerUploadPack({ body: uploadPackResult({ pack: buildPack([blob, ofsDeltaEntry(0, delta(10, 10, copy(0, 10)))]) }) });
      kube.audit.clear();
      const result = await guarded.reconcile();
      expect(result.reason).toBe(SyncReason.FetchFailed);
      expect(result.message).toMatch(/sent an invalid pack: the delta at pack offset \d+ names a base at distance 0/);
      expect(result.appliedRevision).toBe(signed);
      expect(clusterWrites()).toEqual([]);
    } finally {
      git.close();
      await front.dispose();
      await signer.dispose();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
