/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`, `>`, `<`) and field
 * selectors (`metadata.name`, `metadata.namespace`) with kube-apiserver's parse errors.
 */
import { statusErrors } from './status.js';
import { isObject, metadataOf, type JsonObject } from './json.js';

type Operator = 'in' | 'notin' | 'exists' | 'doesnotexist' | 'gt' | 'lt';

interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export type Selector = (object: JsonObject) => boolean;

const everything: Selector = () => true;

/** Splits on commas that are not inside `( )`. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;

function parseRequirement(text: string): Requirement {
  const fail = (detail: string) => statusErrors.badRequest(`unable to parse requirement: ${detail}`);
  let match = new RegExp(`^(!)?\\s*(${KEY})$`).exec(text);
  if (match) return { key: match[2]!, operator: match[1] ? 'doesnotexist' : 'exists', values: [] };
  match = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(text);
  if (match) {
    const values = match[4]!.split(',').map((value) => value.trim());
    for (const value of values) if (!new RegExp(`^${VALUE}$`).test(value)) throw fail(`invalid label value: "${value}"`);
    return { key: match[1]!, operator: match[3] as Operator, values };
  }
  match = new RegExp(`^(${KEY})\\s*(==|=|!=|>|<)\\s*(.*)$`).exec(text);
  if (match) {
    const [, key, , operator, value] = match as unknown as [string, string, string, string, string];
    if ((operator === '>' || operator === '<') && !/^-?\d+$/.test(value)) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
    if (!new RegExp(`^${VALUE}$`).test(value) || value.length > 63) throw fail(`invalid label value: "${value}"`);
    const mapped: Record<string, Operator> = { '=': 'in', '==': 'in', '!=': 'notin', '>': 'gt', '<': 'lt' };
    return { key, operator: mapped[operator]!, values: [value] };
  }
  throw fail(`found '${text}', expected: !, identifier, or 'end of string'`);
}

function matches(requirement: Requirement, labels: Record<string, unknown>): boolean {
  const has = requirement.key in labels;
  const value = String(labels[requirement.key] ?? '');
  switch (requirement.operator) {
    case 'exists': return has;
    case 'doesnotexist': return !has;
    case 'in': return has && requirement.values.includes(value);
    case 'notin': return !has || !requirement.values.includes(value);
    case 'gt': return has && /^-?\d+$/.test(value) && Number(value) > Number(requirement.values[0]);
    case 'lt': return has && /^-?\d+$/.test(value) && Number(value) < Number(requirement.values[0]);
  }
}

export function parseLabelSelector(text: string | null): Selector {
  if (!text) return everything;
  const requirements = splitRequirements(text).map(parseRequirement);
  return (object) => {
    const labels = metadataOf(object).labels;
    return requirements.every((requirement) => matches(requirement, isObject(labels) ? labels : {}));
  };
}

const FIELD_LABELS: Record<string, (object: JsonObject) => string> = {
  'metadata.name': (object) => String(metadataOf(object).name ?? ''),
  'metadata.namespace': (object) => String(metadataOf(object).namespace ?? ''),
};

export function parseFieldSelector(text: string | null): Selector {
  if (!text) return everything;
  const terms = splitRequirements(text).map((term) => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw statusErrors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    const read = FIELD_LABELS[field];
    if (!read) throw statusErrors.badRequest(`field label not supported: ${field}`);
    return { read, negate: operator === '!=', value };
  });
  return (object) => terms.every((term) => (term.read(object) === term.value) !== term.negate);
}
