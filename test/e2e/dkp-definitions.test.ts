/**
 * netfleet's own definitions of the DKP kinds it renders (`@netfleet/shared/dkp`) stand in
 * for DKP's CRDs where those are not at hand (the demo on a fresh clone). They must accept
 * what the renderer produces, and never accept what DKP would refuse: where the reference
 * files are present, objects generated from the own definitions are checked against the
 * real schemas.
 */
import { fileURLToPath } from 'node:url';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FsRepoReader, groupOf, renderRepository } from '@netfleet/shared';
import { dkpResourceDefinitions } from '@netfleet/shared/dkp/crds';
import { DKP_RESOURCES } from '@netfleet/shared/dkp/resources';
import { DKP_REFERENCE_SKIP, dkpReferencePresent, loadDkpCrdFile, type JsonObject } from '../src/dkp.js';
import { validateCrd } from '../src/kube/crd.js';
import { startKubeApiServer } from '../src/kube/server.js';
import { applyDefaults, validateValue, type Schema } from '../src/kube/schema.js';

const EXAMPLE_FLEET = fileURLToPath(new URL('../../examples/fleet', import.meta.url));

/** The schema of `spec` or `status` of one version of a CRD. */
function partSchema(crd: JsonObject, version: string, part: 'spec' | 'status'): Schema {
  const versions = (crd.spec as { versions: { name: string; schema: { openAPIV3Schema: { properties: Record<string, Schema> } } }[] }).versions;
  const served = versions.find((candidate) => candidate.name === version);
  if (!served) throw new Error(`${String((crd.metadata as JsonObject).name)} has no version ${version}`);
  return served.schema.openAPIV3Schema.properties[part]!;
}

const OWN_CRDS = new Map(dkpResourceDefinitions().map(({ crd }, index) => [DKP_RESOURCES[index]!.kind, crd]));
const OWN = new Map(DKP_RESOURCES.map((resource) => [resource.kind, partSchema(OWN_CRDS.get(resource.kind)!, resource.version, 'spec')]));

/** Values a structural schema accepts: declared fields only (unknown ones are never generated), small sizes. */
function arbitraryOf(schema: Schema): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return fc.constant({});
      if (schema.additionalProperties) return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), arbitraryOf(schema.additionalProperties as Schema), { maxKeys: 3 });
      const record = (branch: Schema = {}) => {
        const overrides = (branch.properties ?? {}) as Record<string, Schema>;
        const properties = Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, Schema>).map(([name, property]) => [name, arbitraryOf({ ...property, ...overrides[name] })]));
        const requiredKeys = [...((schema.required as string[] | undefined) ?? []), ...((branch.required as string[] | undefined) ?? [])];
        return fc.record(properties, { requiredKeys });
      };
      // oneOf: values of one branch (its required fields, its narrowed enums).
      return Array.isArray(schema.oneOf) ? fc.oneof(...(schema.oneOf as Schema[]).map(record)) : record();
    }
    case 'array':
      return fc.array(arbitraryOf(schema.items as Schema), { minLength: (schema.minItems as number | undefined) ?? 0, maxLength: 3 });
    case 'string':
      return schema.pattern ? fc.stringMatching(new RegExp(schema.pattern as string)) : fc.string({ maxLength: 12 });
    case 'integer':
      return fc.integer({ min: (schema.minimum as number | undefined) ?? -1000, max: (schema.maximum as number | undefined) ?? 100_000 });
    case 'boolean':
      return fc.boolean();
    default:
      throw new Error(`no generator for schema type ${String(schema.type)}`);
  }
}

describe('netfleet\'s own DKP definitions', () => {
  it('are CRDs the API server accepts and establishes (structural schemas, declared keys only)', async () => {
    const kube = await startKubeApiServer();
    try {
      const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
      for (const { file, crd } of dkpResourceDefinitions()) {
        expect(validateCrd(crd), file).toEqual([]);
        await objects.patch(crd as unknown as KubernetesObject, undefined, undefined, 'netfleet-test', true, PatchStrategy.ServerSideApply);
      }
      const listed = await objects.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
      const established = listed.items.filter((crd) => (crd as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
      expect(established.map((crd) => crd.metadata?.name).sort()).toEqual(dkpResourceDefinitions().map(({ crd }) => String((crd.metadata as JsonObject).name)).sort());
    } finally {
      await kube.stop();
    }
  });

  it('accept every DKP object the example fleet renders, unknown fields refused', async () => {
    const { results } = await renderRepository(new FsRepoReader(EXAMPLE_FLEET));
    const seen = new Set<string>();
    for (const result of results.values()) {
      for (const { object } of result.objects) {
        const own = OWN.get(object.kind);
        if (!own || groupOf(object.apiVersion) === '') continue;
        seen.add(object.kind);
        expect(validateValue(object.spec, own, 'spec', { rejectUnknownFields: true }), `${result.cluster} ${object.kind}/${object.metadata.name}`).toEqual([]);
      }
    }
    // The example renders every kind netfleet itself produces; MetalLoadBalancerClass only for bare-metal L2 inlets.
    expect([...seen].sort()).toEqual(expect.arrayContaining(['CiliumNetworkPolicy', 'EgressGateway', 'EgressGatewayPolicy', 'IngressNginxController', 'IstioFederation', 'IstioMulticluster', 'ModuleConfig']));
  });
});

describe.skipIf(!dkpReferencePresent())(`the real DKP schemas accept whatever the own definitions accept${DKP_REFERENCE_SKIP}`, () => {
  it.each(DKP_RESOURCES.map((resource) => [resource.kind, resource] as const))('%s', (_kind, resource) => {
    const real = loadDkpCrdFile(resource.file).crds.find((crd) => (crd.spec as { names: { kind: string } }).names.kind === resource.kind);
    expect(real, `${resource.file} defines ${resource.kind}`).toBeDefined();
    // Status counts where netfleet declares it (it reads link health from it); elsewhere it is the controllers' own.
    const parts = resource.status ? (['spec', 'status'] as const) : (['spec'] as const);
    for (const part of parts) {
      const own = partSchema(OWN_CRDS.get(resource.kind)!, resource.version, part);
      const realPart = partSchema(real!, resource.version, part);
      fc.assert(
        // What the generator builds from the parts of a oneOf may match several branches: keep what the own definition accepts.
        fc.property(arbitraryOf(own).filter((value) => validateValue(value, own, part).length === 0), (value) => {
          // The API server fills defaults in before it validates (CEL rules read them).
          applyDefaults(value, realPart);
          expect(validateValue(value, realPart, part)).toEqual([]);
        }),
        { numRuns: 300 },
      );
    }
  });
});
