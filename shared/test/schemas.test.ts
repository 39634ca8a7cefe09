import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FsRepoReader, KIND_NAMES, generateSchemaFiles } from '../src/index.js';
import { EXAMPLE_FLEET_DIR } from './support/example-fleet.js';

const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));

async function shippedSchemas(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(SCHEMA_DIR)).sort()) files.set(name, await readFile(`${SCHEMA_DIR}${name}`, 'utf8'));
  return files;
}

describe('the shipped JSON Schemas', () => {
  it('are exactly what the type definitions generate (run `pnpm --filter @netfleet/shared schemas`)', async () => {
    expect(await shippedSchemas()).toEqual(generateSchemaFiles());
  });

  it('cover every document kind', async () => {
    expect([...(await shippedSchemas()).keys()]).toEqual(KIND_NAMES.map((kind) => `${kind}.schema.json`).sort());
  });

  it('validate the example documents in an editor-style validator and reject unknown fields', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validators = new Map([...(await shippedSchemas())].map(([name, text]) => [name.replace('.schema.json', ''), ajv.compile(JSON.parse(text))]));
    const reader = new FsRepoReader(EXAMPLE_FLEET_DIR);
    let checked = 0;
    for (const entry of await reader.list()) {
      if (!entry.path.endsWith('.yaml') || entry.path.startsWith('manifests/')) continue;
      const text = new TextDecoder().decode(await reader.read(entry.path));
      for (const document of parseAllDocuments(text).map((doc) => doc.toJS() as { kind: string })) {
        const validate = validators.get(document.kind)!;
        expect(validate(document), `${entry.path} ${JSON.stringify(validate.errors)}`).toBe(true);
        expect(validate({ ...document, color: 'blue' })).toBe(false);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('let a spec field hold a ${...} reference, but not a misspelt value', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse((await shippedSchemas()).get('Egress.schema.json')!));
    const egress = (ip: string) => ({
      apiVersion: 'netfleet.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'out' },
      targets: { all: true },
      spec: { nodeSelector: { role: 'egress' }, sourceIP: { virtualIPAddress: { ip } }, policies: [{ name: 'all', destinationCIDRs: ['0.0.0.0/0'], selectors: [{ namespace: 'shop' }] }] },
    });
    expect(validate(egress('${vars.egressVIP}'))).toBe(true);
    expect(validate(egress('10.0.0.1'))).toBe(true);
    expect(validate(egress('ten.zero.zero.one'))).toBe(false);
  });
});

describe('the shipped JSON Schemas agree with the loader', () => {
  const validatorOf = async (kind: string) => new Ajv({ strict: false, allErrors: true }).compile(JSON.parse((await shippedSchemas()).get(`${kind}.schema.json`)!));
  const document = (kind: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'netfleet.io/v1alpha1', kind, metadata: { name: 'x' }, ...extra, spec });

  it('refuse ${...} in fleet-wide documents, where netfleet never substitutes it', async () => {
    const cluster = await validatorOf('Cluster');
    expect(cluster(document('Cluster', { region: 'eu', publicDomain: 'x.example.com', clusterDomain: 'x.cluster' }))).toBe(true);
    expect(cluster(document('Cluster', { region: '${vars.reg}', publicDomain: 'x.example.com', clusterDomain: 'x.cluster' }))).toBe(false);
    const mesh = await validatorOf('MeshGroup');
    expect(mesh(document('MeshGroup', { type: 'multicluster', members: ['a', 'b'], enableIngressGateway: true }))).toBe(true);
    expect(mesh(document('MeshGroup', { type: 'multicluster', members: ['a', 'b'], enableIngressGateway: '${vars.igw}' }))).toBe(false);
    const rollout = await validatorOf('RolloutPolicy');
    const wave = (extra: Record<string, unknown>) => document('RolloutPolicy', { waves: [{ name: 'one', selector: { all: true }, ...extra }], onFailure: 'pause', unselectedClusters: 'lastWave' });
    expect(rollout(wave({ bakeTime: '30m', maxParallel: '25%' }))).toBe(true);
    expect(rollout(wave({ bakeTime: '${vars.canaryBake}' }))).toBe(false);
    expect(rollout(wave({ maxParallel: '${vars.par}' }))).toBe(false);
  });

  it('refuse addresses with octets above 255 and prefixes beyond the address size', async () => {
    const egress = await validatorOf('Egress');
    const withCidr = (cidr: string, ip = '10.0.0.1') => document('Egress', { nodeSelector: { role: 'egress' }, sourceIP: { virtualIPAddress: { ip } }, policies: [{ name: 'all', destinationCIDRs: [cidr], selectors: [{ namespace: 'shop' }] }] }, { targets: { all: true } });
    expect(egress(withCidr('10.30.0.0/16'))).toBe(true);
    expect(egress(withCidr('fd00::/64'))).toBe(true);
    expect(egress(withCidr('10.300.0.0/16'))).toBe(false);
    expect(egress(withCidr('::/999'))).toBe(false);
    expect(egress(withCidr('10.30.0.0/16', '192.0.2.256'))).toBe(false);
  });

  it('accept allowEmpty in a selector', async () => {
    const ingress = await validatorOf('IngressProfile');
    expect(ingress(document('IngressProfile', { inlet: 'LoadBalancer' }, { targets: { matchLabels: { tier: 'dr' }, allowEmpty: true } }))).toBe(true);
  });
});
