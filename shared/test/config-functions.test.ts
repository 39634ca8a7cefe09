import { describe, expect, it } from 'vitest';
import { deepMerge } from '../src/config/merge.js';
import { selects } from '../src/config/selectors.js';
import { substitute } from '../src/config/substitute.js';
import { parseDuration } from '../src/config/rollout.js';
import { decodeUtf8 } from '../src/config/repo-files.js';
import { formatPath } from '../src/config/source.js';
import type { ClusterInfo, ClusterSelector } from '../src/index.js';
import type { SchemaViolation } from '../src/config/validate.js';
import { canonicalJson } from '../src/render/hash.js';

const cluster = {
  name: 'eu-fra-1',
  region: 'eu-central',
  labels: { env: 'prod', tier: 'edge' },
  publicDomain: 'eu-fra-1.example.com',
  clusterDomain: 'eu-fra-1.cluster',
  vars: { vip: '10.0.0.1', replicas: 3, debug: false },
} as unknown as ClusterInfo;

describe('deep merge of overrides', () => {
  it.each([
    ['merges mappings key by key', { a: { x: 1, y: 2 } }, { a: { y: 3, z: 4 } }, { a: { x: 1, y: 3, z: 4 } }],
    ['replaces lists instead of appending', { list: [1, 2] }, { list: [3] }, { list: [3] }],
    ['removes a field set to null', { a: 1, b: { c: 2 } }, { b: null }, { a: 1 }],
    ['replaces a scalar with a mapping', { a: 1 }, { a: { b: 1 } }, { a: { b: 1 } }],
    ['drops nulls inside new mappings', {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['leaves the base alone when the patch is empty', { a: [1] }, {}, { a: [1] }],
  ])('%s', (_name, base, patch, merged) => {
    const before = JSON.stringify(base);
    expect(deepMerge(base, patch)).toEqual(merged);
    expect(JSON.stringify(base)).toBe(before);
  });
});

describe('cluster selectors', () => {
  it.each<[string, ClusterSelector, boolean]>([
    ['all', { all: true }, true],
    ['a listed name', { names: ['x', 'eu-fra-1'] }, true],
    ['an unlisted name', { names: ['x'] }, false],
    ['a region', { regions: ['eu-central'] }, true],
    ['matching labels', { matchLabels: { env: 'prod', tier: 'edge' } }, true],
    ['one label off', { matchLabels: { env: 'prod', tier: 'core' } }, false],
    ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, false],
    ['NotIn on a missing label', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['fields ANDed', { regions: ['eu-central'], matchLabels: { env: 'staging' } }, false],
  ])('%s', (_name, selector, expected) => {
    expect(selects(selector, cluster)).toBe(expected);
  });
});

describe('variable substitution', () => {
  it.each<[string, unknown, unknown]>([
    ['cluster fields inside text', 'https://${cluster.name}.${cluster.region}', 'https://eu-fra-1.eu-central'],
    ['a label', '${cluster.labels.tier}', 'edge'],
    ['a lone number variable keeps its type', '${vars.replicas}', 3],
    ['a lone boolean variable keeps its type', '${vars.debug}', false],
    ['a number inside text becomes text', 'r${vars.replicas}', 'r3'],
    ['an escaped reference stays literal', 'cost: $${vars.vip}', 'cost: ${vars.vip}'],
    ['nested lists and mappings', { a: ['${vars.vip}', { b: '${cluster.clusterDomain}' }] }, { a: ['10.0.0.1', { b: 'eu-fra-1.cluster' }] }],
    ['text without references', 'plain $ text', 'plain $ text'],
  ])('replaces %s', (_name, input, output) => {
    const violations: SchemaViolation[] = [];
    expect(substitute(input, cluster, violations)).toEqual(output);
    expect(violations).toEqual([]);
  });

  it.each([
    ['vars.missing', ['spec', 'x']],
    ['cluster.labels.zone', ['spec', 'x']],
    ['cluster.nickname', ['spec', 'x']],
    ['env.HOME', ['spec', 'x']],
  ])('reports the unknown reference ${%s} at its field', (reference, path) => {
    const violations: SchemaViolation[] = [];
    substitute({ x: `a-\${${reference}}` }, cluster, violations, ['spec']);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.path).toEqual(path);
    expect(violations[0]?.found).toBe(`\${${reference}}`);
    expect(violations[0]?.expected).toContain('vars.replicas');
  });
});

describe('durations', () => {
  it.each([
    ['45s', 45],
    ['30m', 1800],
    ['1h30m', 5400],
    ['2h0m5s', 7205],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('canonical JSON', () => {
  it.each([
    [{ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } }, '{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}'],
    [{ a: undefined, b: 'x' }, '{"b":"x"}'],
    [[3, 'a', true], '[3,"a",true]'],
  ])('writes %j with sorted keys', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });
});

describe('field paths', () => {
  it.each<[(string | number)[], string]>([
    [[], ''],
    [['spec', 'targets', 'regions', 0], 'spec.targets.regions[0]'],
    [['metadata', 'labels', 'example.com/tier'], 'metadata.labels["example.com/tier"]'],
  ])('formats %j as %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('strict UTF-8 decoding', () => {
  it.each<[string, number[], { line: number; column: number; offset: number; byte?: number }]>([
    ['a Latin-1 byte', [0x61, 0x0a, 0x62, 0xe9, 0x0a], { line: 2, column: 2, offset: 3, byte: 0xe9 }],
    ['a stray continuation byte', [0x80], { line: 1, column: 1, offset: 0 }],
    ['an overlong encoding', [0x61, 0xc0, 0xaf], { line: 1, column: 2, offset: 1 }],
  ])('locates %s', (_name, bytes, where) => {
    expect(decodeUtf8(new Uint8Array(bytes))).toMatchObject(where);
  });

  it('decodes valid multi-byte text', () => {
    expect(decodeUtf8(new TextEncoder().encode('grüße ✓'))).toBe('grüße ✓');
  });
});
