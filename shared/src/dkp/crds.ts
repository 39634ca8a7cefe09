import { Kind, type TSchema } from '@sinclair/typebox';
import { DKP_RESOURCES, type DkpResource } from './resources.js';

/** A JSON object as sent to the API server. */
type Json = Record<string, unknown>;

/** Keys of a TypeBox schema that a CRD's structural schema takes as they are. */
const KEPT_KEYWORDS = ['description', 'oneOf', 'anyOf', 'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'format'];

/**
 * A TypeBox schema as a Kubernetes structural schema: every node typed, literals and
 * unions of literals as `enum`, records as `additionalProperties`, unknown values kept with
 * `x-kubernetes-preserve-unknown-fields`, and none of the keywords kube-apiserver refuses
 * in a CRD (`additionalProperties: false`, `const`, `uniqueItems`, `$id`).
 */
export function structuralSchema(schema: TSchema): Json {
  const kind = schema[Kind] as string;
  const out: Json = {};
  for (const key of KEPT_KEYWORDS) if (schema[key] !== undefined) out[key] = schema[key];
  switch (kind) {
    case 'Object': {
      const properties = Object.entries(schema.properties as Record<string, TSchema>);
      out.type = 'object';
      if (properties.length > 0) out.properties = Object.fromEntries(properties.map(([name, property]) => [name, structuralSchema(property)]));
      const required = (schema.required as string[] | undefined) ?? [];
      if (required.length > 0) out.required = [...required];
      return out;
    }
    case 'Record': {
      const [value] = Object.values(schema.patternProperties as Record<string, TSchema>);
      out.type = 'object';
      if (value![Kind] === 'Unknown') out['x-kubernetes-preserve-unknown-fields'] = true;
      else out.additionalProperties = structuralSchema(value!);
      return out;
    }
    case 'Array':
      return { ...out, type: 'array', items: structuralSchema(schema.items as TSchema) };
    case 'Literal':
      return { ...out, type: typeof schema.const, enum: [schema.const] };
    case 'Union': {
      const variants = schema.anyOf as TSchema[];
      if (!variants.every((variant) => variant[Kind] === 'Literal')) throw new Error('a DKP resource definition unions only literals');
      delete out.anyOf; // TypeBox's form of the union; the enum says it
      return { ...out, type: typeof variants[0]!.const, enum: variants.map((variant) => variant.const) };
    }
    case 'String':
    case 'Integer':
    case 'Boolean':
    case 'Number':
      return { ...out, type: kind.toLowerCase() };
    default:
      throw new Error(`a DKP resource definition uses TypeBox kind ${kind}, which has no structural form here`);
  }
}

/** The CustomResourceDefinition of one resource: its spec as netfleet writes it, its status through the status subresource. */
export function customResourceDefinition(resource: DkpResource): Json {
  const openAPIV3Schema = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: structuralSchema(resource.spec),
      status: resource.status ? structuralSchema(resource.status) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${resource.plural}.${resource.group}`, labels: { 'app.kubernetes.io/managed-by': 'netfleet-dkp-definitions' } },
    spec: {
      group: resource.group,
      scope: resource.scope,
      names: { kind: resource.kind, listKind: `${resource.kind}List`, plural: resource.plural, singular: resource.kind.toLowerCase() },
      versions: [{ name: resource.version, served: true, storage: true, schema: { openAPIV3Schema }, subresources: { status: {} } }],
    },
  };
}

/** Every DKP resource netfleet renders, as CRDs an API server installs, by the DKP file that defines each. */
export function dkpResourceDefinitions(): { file: string; crd: Json }[] {
  return DKP_RESOURCES.map((resource) => ({ file: resource.file, crd: customResourceDefinition(resource) }));
}
