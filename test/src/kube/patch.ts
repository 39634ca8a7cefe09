/** JSON merge patch (RFC 7386) and JSON patch (RFC 6902), as kube-apiserver applies them. */
import { KubeStatusError } from './status.js';
import { deepEqual, isObject } from './json.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function patchError(message: string): KubeStatusError {
  return new KubeStatusError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`JSON pointer must start with '/': ${pointer}`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, tokens: string[], operation: string): { parent: unknown; last: string } {
  let node = document;
  for (const token of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  }
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function getAt(document: unknown, tokens: string[]): unknown {
  let node = document;
  for (const token of tokens) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function addAt(document: unknown, tokens: string[], value: unknown, operation: string): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens, operation);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw patchError(`${operation} operation does not apply: index out of bounds: ${last}`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  return document;
}

function removeAt(document: unknown, tokens: string[], operation: string): unknown {
  const { parent, last } = parentOf(document, tokens, operation);
  if (Array.isArray(parent) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  return document;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new KubeStatusError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let document = structuredClone(target);
  for (const operation of operations) {
    if (!isObject(operation)) throw patchError('invalid JSON patch operation');
    const op = String(operation.op);
    const path = parsePointer(String(operation.path ?? ''));
    switch (op) {
      case 'add': document = addAt(document, path, structuredClone(operation.value), op); break;
      case 'remove': document = removeAt(document, path, op); break;
      case 'replace':
        if (getAt(document, path) === undefined) throw patchError(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
        document = addAt(removeAt(document, path, op), path, structuredClone(operation.value), op);
        break;
      case 'move': case 'copy': {
        const from = parsePointer(String(operation.from ?? ''));
        const value = getAt(document, from);
        if (value === undefined) throw patchError(`${op} operation does not apply: doc is missing from path: /${from.join('/')}`);
        if (op === 'move') document = removeAt(document, from, op);
        document = addAt(document, path, structuredClone(value), op);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(document, path), operation.value)) throw patchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      default: throw patchError(`Unexpected kind: ${op}`);
    }
  }
  return document;
}
