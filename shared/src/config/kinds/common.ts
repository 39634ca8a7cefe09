import { Kind, Type, TypeRegistry, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import cidrRegex from 'cidr-regex';
import ipRegex from 'ip-regex';
import { DnsLabel, LabelKey, LabelValue, Labels } from '../../kube-names.js';

export { DnsLabel, LabelKey, LabelValue, Labels };

/** The apiVersion of every netfleet document. */
export const API_VERSION = 'netfleet.io/v1alpha1';

/** An object schema that rejects fields it does not declare. */
export function Strict<T extends TProperties>(properties: T, options: Record<string, unknown> = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/**
 * A union picked by a `tag` field (ajv's `discriminator`), so a mistake inside one variant
 * is reported against that variant only, not against every alternative.
 */
export function Tagged<T extends TObject[]>(tag: string, variants: [...T]) {
  return Type.Unsafe<Static<T[number]>>({ [Kind]: TAGGED_KIND, type: 'object', discriminator: { propertyName: tag }, required: [tag], oneOf: variants });
}

/** TypeBox's kind for {@link Tagged} schemas, so its own checker can pick the variant by tag. */
export const TAGGED_KIND = 'NetfleetTagged';

TypeRegistry.Set<{ discriminator: { propertyName: string }; oneOf: TObject[] }>(TAGGED_KIND, (schema, value) => {
  if (typeof value !== 'object' || value === null) return false;
  const tag = (value as Record<string, unknown>)[schema.discriminator.propertyName];
  const variant = schema.oneOf.find((candidate) => (candidate.properties[schema.discriminator.propertyName] as { const?: unknown }).const === tag);
  return variant !== undefined && Value.Check(variant, value);
});

export const DnsName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
  expected: 'a DNS name such as "k8s.example.com"',
});

/** Free-form string map (annotations, node selectors, nginx config). */
export const StringMap = Type.Record(Type.String(), Type.String());

/** An IPv4 address, each octet 0-255 (ip-regex, also used for the shipped JSON Schemas). */
export const IPV4_PATTERN = ipRegex.v4({ exact: true }).source.slice(1, -1);

/** An IPv4 CIDR (prefix 0-32) or an IPv6 CIDR (prefix 0-128), from cidr-regex. */
export const Cidr = Type.String({ pattern: cidrRegex({ exact: true }).source, expected: 'a CIDR such as "10.0.0.0/8" or "fd00::/64" (IPv4 octets 0-255, prefix at most 32 or 128)' });

export const Ipv4 = Type.String({ pattern: `^${IPV4_PATTERN}$`, expected: 'an IPv4 address such as "10.0.0.1" (octets 0-255)' });

export const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const LabelSelectorRequirement = Strict({
  key: LabelKey,
  operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
  values: Type.Optional(Type.Array(LabelValue)),
});

/**
 * Which clusters something applies to. Every field given must match (AND); within a field
 * any entry may match (OR). `all: true` selects the whole fleet explicitly.
 */
export const ClusterSelector = Strict(
  {
    all: Type.Optional(Type.Literal(true, { description: 'Every cluster of the fleet.' })),
    names: Type.Optional(Type.Array(DnsLabel, { minItems: 1, description: 'Cluster names.' })),
    regions: Type.Optional(Type.Array(DnsLabel, { minItems: 1, description: 'Regions.' })),
    matchLabels: Type.Optional(Labels),
    matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement, { minItems: 1 })),
    allowEmpty: Type.Optional(
      Type.Boolean({ description: 'The selector may match no cluster; without it, a selector that matches none is an error (a typo would otherwise remove objects everywhere).' }),
    ),
  },
  { minProperties: 1, expected: 'a selector with at least one of all, names, regions, matchLabels, matchExpressions' },
);
export type ClusterSelector = Static<typeof ClusterSelector>;

/** Per-document apply behaviour; unset fields keep the defaults (see ApplyPolicy). */
export const PolicyFields = Strict({
  force: Type.Optional(Type.Boolean({ description: 'Take over fields another field manager owns.' })),
  drift: Type.Optional(Type.Union([Type.Literal('correct'), Type.Literal('alert')], { description: 'Correct drift or only report it.' })),
  ignore: Type.Optional(
    Type.Array(Type.String({ pattern: '^(/([^~/]|~[01])*)+$', expected: 'a JSON pointer such as "/spec/replicas"' }), {
      description: 'JSON pointers whose differences are never drift.',
    }),
  ),
  prune: Type.Optional(Type.Boolean({ description: 'Delete the objects when they leave the repository.' })),
  recreate: Type.Optional(Type.Boolean({ description: 'Delete and re-create an object when a change to an immutable field is refused.' })),
});
export type PolicyFields = Static<typeof PolicyFields>;

export const Metadata = Strict({
  name: DnsLabel,
  labels: Type.Optional(Labels),
  annotations: Type.Optional(StringMap),
});

export const Override = Strict({
  targets: ClusterSelector,
  spec: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'Deep-merged into the spec: mappings merge, lists replace, null removes a field.',
    }),
  ),
  policy: Type.Optional(PolicyFields),
});
export type Override = Static<typeof Override>;

/** How a document kind is laid out around its spec. */
export interface DocumentShape {
  /** The document says which clusters it targets (`targets`). */
  targeted: boolean;
  /** The document may carry `overrides`. */
  overridable: boolean;
  /** The document may carry `policy` (it produces Kubernetes objects). */
  withPolicy: boolean;
}

/** The whole document schema of one kind: apiVersion, kind, metadata, spec and the shape's extras. */
export function DocumentSchema<S extends TSchema>(kind: string, spec: S, shape: DocumentShape, description: string) {
  return Strict(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: Metadata,
      ...(shape.targeted ? { targets: ClusterSelector } : {}),
      ...(shape.withPolicy ? { policy: Type.Optional(PolicyFields) } : {}),
      ...(shape.overridable ? { overrides: Type.Optional(Type.Array(Override)) } : {}),
      spec,
    },
    { $id: `https://netfleet.io/schemas/v1alpha1/${kind}.json`, title: kind, description },
  );
}

/** The same schema with extra annotations (description, limits) for one use. */
export function withDoc<T extends TSchema>(schema: T, options: Record<string, unknown>): T {
  return { ...schema, ...options };
}
