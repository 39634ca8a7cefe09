/** ObjectMeta validation with apimachinery's messages: names, label keys and values. */
import { fieldErrors, type FieldError } from './status.js';
import { isObject, metadataOf, type JsonObject } from './json.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Which name rule a kind's `metadata.name` follows. */
export type NameRule = 'subdomain' | 'label' | 'dns1035';

function nameErrors(name: string, rule: NameRule): FieldError[] {
  if (rule === 'label' && (!DNS1123_LABEL.test(name) || name.length > 63)) {
    return [fieldErrors.invalid('metadata.name', name, `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`)];
  }
  if (rule === 'dns1035' && (!DNS1035_LABEL.test(name) || name.length > 63)) {
    return [fieldErrors.invalid('metadata.name', name, `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`)];
  }
  if (rule === 'subdomain' && (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)) {
    return [fieldErrors.invalid('metadata.name', name, `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`)];
  }
  return [];
}

function labelKeyValid(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253)) return false;
  return QUALIFIED_NAME.test(name) && name.length <= 63;
}

export function validateObjectMeta(object: JsonObject, rule: NameRule): FieldError[] {
  const metadata = metadataOf(object);
  const errors = typeof metadata.name === 'string' ? nameErrors(metadata.name, rule) : [];
  const labels = isObject(metadata.labels) ? metadata.labels : {};
  for (const [key, value] of Object.entries(labels)) {
    if (!labelKeyValid(key)) {
      errors.push(fieldErrors.invalid('metadata.labels', key, `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`));
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) {
      errors.push(fieldErrors.invalid('metadata.labels', value, `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`));
    }
  }
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  for (const key of Object.keys(annotations)) {
    if (!labelKeyValid(key)) errors.push(fieldErrors.invalid('metadata.annotations', key, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\''));
  }
  return errors;
}
