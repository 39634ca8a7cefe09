/** Structural schema pruning, defaulting and validation with kube-apiserver's messages. */
import { describe, expect, it } from 'vitest';
import { applyDefaults, pruneUnknownFields, validateValue, type Schema } from './schema.js';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['mode'],
      properties: {
        mode: { type: 'string', enum: ['A', 'B'] },
        replicas: { type: 'integer', minimum: 1, maximum: 3, default: 1 },
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        strategy: { type: 'string', pattern: '^(?i)(abort|warn)?$' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        nested: { type: 'object', default: {}, properties: { flag: { type: 'boolean', default: false } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        choice: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      },
    },
  },
};

describe('when a value is validated', () => {
  it.each([
    [{ spec: { mode: 'C' } }, 'spec.mode', 'Unsupported value: "C": supported values: "A", "B"'],
    [{ spec: {} }, 'spec.mode', 'Required value'],
    [{ spec: { mode: 'A', replicas: 4 } }, 'spec.replicas', 'Invalid value: 4: spec.replicas in body should be less than or equal to 3'],
    [{ spec: { mode: 'A', replicas: 'x' } }, 'spec.replicas', 'Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
    [{ spec: { mode: 'A', name: 'Abc' } }, 'spec.name', 'Invalid value: "Abc": spec.name in body should match \'^[a-z]+$\''],
    [{ spec: { mode: 'A', name: 'abcdef' } }, 'spec.name', 'Too long: may not be longer than 5'],
    // RE2's case-insensitive flag group, as in prometheus-operator's CRDs.
    [{ spec: { mode: 'A', strategy: 'abortt' } }, 'spec.strategy', 'Invalid value: "abortt": spec.strategy in body should match \'^(?i)(abort|warn)?$\''],
    [{ spec: { mode: 'A', port: true } }, 'spec.port', 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'],
    [{ spec: { mode: 'A', tags: ['a', 'b', 'c'] } }, 'spec.tags', 'Too many: 3: must have at most 2 items'],
    [{ spec: { mode: 'A', tags: ['a', 'a'] } }, 'spec.tags[1]', 'Duplicate value: "a"'],
    [{ spec: { mode: 'A', choice: { a: 'x', b: 'y' } } }, 'spec.choice', 'Invalid value: "object": spec.choice in body must validate one and only one schema (oneOf). Found 2 valid alternatives'],
  ])('reports %j at %s: %s', (value, field, message) => {
    expect(validateValue(value, schema)).toContainEqual(expect.objectContaining({ field, message }));
  });

  it('accepts a valid value', () => {
    expect(validateValue({ spec: { mode: 'A', replicas: 2, port: '8080', choice: { b: 'y' }, free: { any: [1] }, strategy: 'WARN' } }, schema)).toEqual([]);
  });

  it('reports undeclared keys when asked (the DKP module-settings webhook does)', () => {
    expect(validateValue({ spec: { mode: 'A', bogus: 1 } }, schema, '', { rejectUnknownFields: true }))
      .toEqual([{ field: 'spec.bogus', reason: 'FieldValueForbidden', message: 'Forbidden: is a forbidden property' }]);
  });
});

describe('when unknown fields are pruned and defaults applied', () => {
  it('drops undeclared fields except under x-kubernetes-preserve-unknown-fields and reports their paths', () => {
    const value = { spec: { mode: 'A', extra: 1, free: { kept: true }, tags: ['a'], nested: { flag: true, junk: 2 } } };
    expect(pruneUnknownFields(value, schema)).toEqual(['spec.extra', 'spec.nested.junk']);
    expect(value).toEqual({ spec: { mode: 'A', free: { kept: true }, tags: ['a'], nested: { flag: true } } });
  });

  it('applies defaults top-down, including inside a defaulted object', () => {
    const value = { spec: { mode: 'A' } };
    applyDefaults(value, schema);
    expect(value).toEqual({ spec: { mode: 'A', replicas: 1, nested: { flag: false } } });
  });
});
