/**
 * `netfleet validate --crds DIR` and `--kubeconfig FILE`: rendered objects checked against
 * the CRDs a cluster serves, offline from an export or online by a server-side dry run.
 * The CRDs are the DKP ones, installed into the Kubernetes API test server and exported
 * from it as `kubectl get crd -o yaml` does (a List).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '@netfleet/agent';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DKP_REFERENCE_SKIP, dkpReferencePresent } from '@netfleet/test/dkp';
import { startKubeApiServer, type KubeApiServer } from '@netfleet/test/kube/server';
import { runCli } from './io.js';

const EXAMPLE_FLEET = fileURLToPath(new URL('../../examples/fleet', import.meta.url));
const BOGUS_CONTROLLER = 'apiVersion: deckhouse.io/v1\nkind: IngressNginxController\nmetadata:\n  name: bogus\nspec:\n  inlet: Bogus\n  ingresClas: nginx\n';

let kube: KubeApiServer;
let dir: string;
let crds: string;
let broken: string;

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds();
  dir = await mkdtemp(join(tmpdir(), 'netfleet-validate-'));
  crds = join(dir, 'crds');
  const exported = await new KubeClient({ kubeconfigPath: kube.kubeconfigPath }).list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  await mkdir(crds);
  await writeFile(join(crds, 'all.yaml'), stringify({ apiVersion: 'v1', kind: 'List', items: exported.items }));
  broken = join(dir, 'fleet');
  await cp(EXAMPLE_FLEET, broken, { recursive: true });
  await writeFile(join(broken, 'manifests', 'base', 'bogus-ingress.yaml'), BOGUS_CONTROLLER);
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('netfleet validate --crds', () => {
  it('accepts the example fleet against the exported DKP CRDs', async () => {
    const { code, out, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--crds', crds);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^checked \d+ objects against \d+ CRD versions\nvalid: 10 clusters, 251 objects\n$/);
  });

  it('refuses a manifest whose fields the CRD does not have, at the manifest line and field', async () => {
    const { code, err } = await runCli('validate', '--repo', broken, '--crds', crds);
    expect(code).toBe(1);
    // One line per mistake, naming every cluster it reaches (whichever definitions the server has).
    const at = '\\[10 clusters: ap-bom-1, ap-sin-1, ap-sin-2, eu-ams-1, eu-fra-1 and 5 more\\]';
    expect(err).toMatch(new RegExp(`^manifests/base/bogus-ingress\\.yaml:6:3 CONFIG_MANIFEST_SCHEMA ${at} spec\\.inlet: found "Bogus", expected one of "LoadBalancer", .* \\(CRD ingressnginxcontrollers\\.deckhouse\\.io v1\\)$`, 'm'));
    expect(err).toMatch(new RegExp(`^manifests/base/bogus-ingress\\.yaml:7:3 CONFIG_MANIFEST_SCHEMA ${at} spec\\.ingresClas: found unknown field "ingresClas", expected one of the fields ingressClass, inlet, .* \\(CRD ingressnginxcontrollers\\.deckhouse\\.io v1\\)$`, 'm'));
  });

  it.skipIf(!dkpReferencePresent())(`words the problems as the DKP CRD says, each once${DKP_REFERENCE_SKIP}`, async () => {
    const { err } = await runCli('validate', '--repo', broken, '--crds', crds);
    expect(err.trimEnd().split('\n')).toEqual([
      'manifests/base/bogus-ingress.yaml:6:3 CONFIG_MANIFEST_SCHEMA [10 clusters: ap-bom-1, ap-sin-1, ap-sin-2, eu-ams-1, eu-fra-1 and 5 more] spec.inlet: found "Bogus", expected one of "LoadBalancer", "LoadBalancerWithSSLPassthrough", "LoadBalancerWithProxyProtocol", "HostPort", "HostPortWithSSLPassthrough", "HostPortWithProxyProtocol" or "HostWithFailover" (CRD ingressnginxcontrollers.deckhouse.io v1)',
      'manifests/base/bogus-ingress.yaml:7:3 CONFIG_MANIFEST_SCHEMA [10 clusters: ap-bom-1, ap-sin-1, ap-sin-2, eu-ams-1, eu-fra-1 and 5 more] spec.ingresClas: found unknown field "ingresClas", expected one of the fields ingressClass, inlet, controllerVersion, enableIstioSidecar, waitLoadBalancerOnTerminating, chaosMonkey, validationEnabled, annotationValidationEnabled, nodeSelector, tolerations, loadBalancer, loadBalancerWithProxyProtocol, … (32 in all) (CRD ingressnginxcontrollers.deckhouse.io v1)',
      '2 problems found',
    ]);
  });

  it('exits 2 when the folder holds no CRD', async () => {
    const { code, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--crds', join(broken, 'clusters'));
    expect(code).toBe(2);
    expect(err).toContain('ERR CLI_CRDS_EMPTY: no CustomResourceDefinition found in');
  });
});

describe('netfleet validate --kubeconfig', () => {
  it('accepts the example fleet\'s objects for one cluster, saying what the server could not judge yet', async () => {
    const { code, out, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--kubeconfig', kube.kubeconfigPath, '--cluster', 'eu-fra-1');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('dry run of cluster eu-fra-1: 18 accepted, 0 refused, 10 not judged\n');
    expect(out).toContain('  not judged: ConfigMap/shop/cluster-info: namespace shop is created by this commit\n');
    expect(out.endsWith('valid: 10 clusters, 251 objects\n')).toBe(true);
  });

  it('lists what the server refuses at the manifest field, and stores nothing', async () => {
    const { code, out, err } = await runCli('validate', '--repo', broken, '--kubeconfig', kube.kubeconfigPath, '--cluster', 'eu-fra-1');
    expect(code).toBe(1);
    expect(out.split('\n')[0]).toBe('dry run of cluster eu-fra-1: 18 accepted, 1 refused, 10 not judged');
    expect(err).toBe([
      'manifests/base/bogus-ingress.yaml:7:3 CLUSTER_DRY_RUN_REJECTED [cluster eu-fra-1] spec.ingresClas: found field not declared in schema, expected what the cluster accepts (server-side dry run)',
      '1 problem found',
      '',
    ].join('\n'));
    const stored = await new KubeClient({ kubeconfigPath: kube.kubeconfigPath }).list('deckhouse.io/v1', 'IngressNginxController');
    expect(stored.items).toEqual([]);
  });

  it('does not count kinds the cluster does not serve yet as refused', async () => {
    const bare = await startKubeApiServer();
    try {
      const { code, out, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--kubeconfig', bare.kubeconfigPath, '--cluster', 'eu-fra-1');
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toMatch(/^dry run of cluster eu-fra-1: \d+ accepted, 0 refused, \d+ not judged$/m);
      expect(out).toContain('  not judged: IngressNginxController/public: IngressNginxController is not served yet (its module is not enabled on the cluster)\n');
    } finally {
      await bare.stop();
    }
  });

  it('exits 2 with one line when the API server cannot be reached', async () => {
    const kubeconfig = join(dir, 'unreachable.kubeconfig');
    await writeFile(kubeconfig, (await readFile(kube.kubeconfigPath, 'utf8')).replace(/server: .*/, 'server: http://127.0.0.1:1'));
    const { code, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--kubeconfig', kubeconfig, '--cluster', 'eu-fra-1');
    expect(code).toBe(2);
    expect(err).toMatch(/^ERR KUBE_UNREACHABLE: /);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('exits 2 when it cannot tell which fleet cluster the live cluster is', async () => {
    const { code, err } = await runCli('validate', '--repo', EXAMPLE_FLEET, '--kubeconfig', kube.kubeconfigPath);
    expect(code).toBe(2);
    expect(err).toContain('ERR CLI_USAGE: --kubeconfig needs --cluster <name>: which cluster of the fleet the live cluster is');
  });
});
