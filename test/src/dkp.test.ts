import { describe, expect, it } from 'vitest';
import {
  DKP_CRDS_REJECTED_BY_KUBE_APISERVER, DKP_REFERENCE_SKIP, STANDARD_SCHEMA_EXTENSIONS, dkpReferencePresent, installableDkpCrdFiles, listDkpCrdFiles, loadDkpCrdFile,
  loadModuleSettingsSchemas, stripNonStandardExtensions,
} from './dkp.js';

function allKeys(value: unknown, keys = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => allKeys(item, keys));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, sub] of Object.entries(value)) {
      keys.add(key);
      allKeys(sub, keys);
    }
  }
  return keys;
}

describe('when stripping DKP schemas as DKP does before installing CRDs', () => {
  it.each([
    [{ type: 'string', 'x-doc-examples': ['a'] }, { type: 'string' }],
    [{ type: 'integer', 'x-kubernetes-int-or-string': true, 'x-kubernetes-immutable': true }, { type: 'integer', 'x-kubernetes-int-or-string': true }],
    [{ properties: { 'x-name': { type: 'string', 'x-doc-default': 1 } } }, { properties: { 'x-name': { type: 'string' } } }],
    [{ items: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-type': 'map' } }, { items: { 'x-kubernetes-list-type': 'map' } }],
    [{ oneOf: [{ 'x-examples': [1], required: ['a'] }] }, { oneOf: [{ required: ['a'] }] }],
    [{ default: { 'x-data': 1 }, enum: [{ 'x-e': 2 }] }, { default: { 'x-data': 1 }, enum: [{ 'x-e': 2 }] }],
  ])('turns %j into %j (only schema positions, only non-standard keys)', (input, expected) => {
    expect(stripNonStandardExtensions(input)).toEqual(expected);
  });
});

describe.skipIf(!dkpReferencePresent())(`when loading the DKP reference files${DKP_REFERENCE_SKIP}`, () => {
  it('finds every CRD file and keeps only standard x- keys in their schemas', () => {
    const files = listDkpCrdFiles();
    expect(files).toContain('ingress-nginx/ingress-nginx.yaml');
    expect(files.length).toBeGreaterThan(30);
    for (const file of installableDkpCrdFiles()) {
      const loaded = loadDkpCrdFile(file);
      expect(loaded.crds.length, file).toBeGreaterThan(0);
      expect(loaded.yamlErrors, file).toEqual([]);
      const extensions = [...allKeys(loaded.crds.map((crd) => (crd.spec as { versions: unknown }).versions))]
        .filter((key) => key.startsWith('x-') && !STANDARD_SCHEMA_EXTENSIONS.has(key));
      expect(extensions, file).toEqual([]);
    }
  });

  it('reads the two files kube-apiserver rejects only leniently (their YAML is malformed)', () => {
    for (const file of Object.keys(DKP_CRDS_REJECTED_BY_KUBE_APISERVER)) {
      expect(loadDkpCrdFile(file).yamlErrors.length, file).toBeGreaterThan(0);
    }
  });

  it('reads module settings schemas with their x-config-version', () => {
    const schemas = loadModuleSettingsSchemas();
    expect(schemas.get('istio')?.configVersion).toBe(2);
    expect(schemas.get('cni-cilium')?.configVersion).toBe(1);
    expect(schemas.get('global')?.schema.type).toBe('object');
    expect(schemas.get('istio')?.schema).not.toHaveProperty('x-config-version');
  });
});
