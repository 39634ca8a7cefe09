/** managedFields encoding as structured-merge-diff writes it (fieldsV1) and its path strings. */
import { describe, expect, it } from 'vitest';
import { fieldsV1FromSet, pathKey, pathToString, setFromFieldsV1 } from './fieldpath.js';
import { toFieldSet } from './typed.js';
import type { Schema } from './schema.js';

const ports: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        ports: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'],
          items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } } },
        },
        finalizers: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        selector: { type: 'object', additionalProperties: { type: 'string' } },
        ranges: { type: 'array', items: { type: 'string' } },
        empty: { type: 'object', properties: {} },
        replicas: { type: 'integer' },
      },
    },
  },
};

describe('when an applied configuration is turned into a field set (structured-merge-diff ToFieldSet)', () => {
  it.each([
    ['a scalar field', { spec: { replicas: 2 } }, { 'f:spec': { 'f:replicas': {} } }],
    ['an empty object at the top as a member', { spec: {} }, { 'f:spec': {} }],
    ['an atomic list as one member', { spec: { ranges: ['a', 'b'] } }, { 'f:spec': { 'f:ranges': {} } }],
    ['an empty object as a member', { spec: { empty: {} } }, { 'f:spec': { 'f:empty': {} } }],
    ['map entries as members', { spec: { selector: { app: 'x' } } }, { 'f:spec': { 'f:selector': { 'f:app': {} } } }],
    ['set items by value', { spec: { finalizers: ['a'] } }, { 'f:spec': { 'f:finalizers': { 'v:"a"': {} } } }],
    ['map-list items by key, defaulted key fields included, with "."',
      { spec: { ports: [{ port: 80, name: 'http' }] } },
      { 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {} } } } }],
  ])('encodes %s', (_case, config, expected) => {
    expect(fieldsV1FromSet(toFieldSet(config, ports))).toEqual(expected);
  });
});

describe('when fieldsV1 is decoded and encoded again', () => {
  it.each([
    [{ 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } }],
    [{ 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } } } }],
    [{}],
  ])('round-trips %j', (fields) => {
    expect(fieldsV1FromSet(setFromFieldsV1(fields))).toEqual(fields);
  });
});

describe('when a path is printed in a conflict message', () => {
  it.each([
    [['f:data', 'f:mode'], '.data.mode'],
    [['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}', 'f:name'], '.spec.ports[port=80,protocol="TCP"].name'],
    [['f:metadata', 'f:finalizers', 'v:"a"'], '.metadata.finalizers[="a"]'],
  ])('prints %j as %s', (path, expected) => {
    expect(pathToString(path)).toBe(expected);
    expect(pathKey(path)).toBe(JSON.stringify(path));
  });
});
