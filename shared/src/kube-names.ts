import { Type } from '@sinclair/typebox';

/**
 * Kubernetes names and labels, as kube-apiserver validates them
 * (apimachinery `validation.IsDNS1123Label`, `IsQualifiedName`, `IsValidLabelValue`). The
 * fleet config loader and the hub API use these same schemas, so a region or label the
 * repository accepts is one the hub accepts, and the reverse. The patterns carry the length
 * limits themselves: a `Type.Record` key schema is checked by its pattern only.
 */

/** A DNS-1123 label: at most 63 lowercase letters, digits and "-", alphanumeric at both ends. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';

/** The name part of a label key, and a non-empty label value: at most 63 characters. */
const QUALIFIED_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
/** The optional prefix of a label key: a DNS-1123 subdomain of at most 253 characters, then "/". */
const KEY_PREFIX = '(?=[-a-z0-9.]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/';

export const LABEL_KEY_PATTERN = `^(${KEY_PREFIX})?${QUALIFIED_NAME}$`;
/** Empty, or a qualified name. */
export const LABEL_VALUE_PATTERN = `^(${QUALIFIED_NAME})?$`;

export const DnsLabel = Type.String({
  pattern: DNS_LABEL_PATTERN,
  maxLength: 63,
  expected: 'a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
});

export const LabelKey = Type.String({
  pattern: LABEL_KEY_PATTERN,
  maxLength: 317,
  expected: 'a label key such as "tier" or "example.com/tier"',
});

export const LabelValue = Type.String({
  pattern: LABEL_VALUE_PATTERN,
  maxLength: 63,
  expected: 'a label value (letters, digits, "-", "_", ".", at most 63 characters)',
});

/** A label map; keys outside the pattern are refused, not dropped. */
export const Labels = Type.Record(LabelKey, LabelValue, {
  additionalProperties: false,
  maxProperties: 64,
  expected: 'a label key such as "tier" or "example.com/tier"',
});

/** A `key=value` label filter. */
export const LabelSelector = Type.String({
  pattern: `^(${KEY_PREFIX})?${QUALIFIED_NAME}=(${QUALIFIED_NAME})?$`,
  maxLength: 381,
  expected: 'a label filter key=value, e.g. "tier=prod"',
});
