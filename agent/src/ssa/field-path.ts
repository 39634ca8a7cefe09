/**
 * Field paths as kube-apiserver names them in conflicts and errors (structured-merge-diff's
 * `Path.String()`: `.spec.ports[port=80,protocol="TCP"].targetPort`, `[3]` for an index,
 * `[="a"]` for a set item), resolved against one object into an RFC 6901 JSON pointer.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The end of a bracketed element starting at `start` (`[`), skipping quoted strings. */
function closingBracket(path: string, start: number): number {
  let quoted = false;
  for (let i = start + 1; i < path.length; i++) {
    const char = path[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === ']') return i;
  }
  return -1;
}

/** Parses `name=value,name=value` of a keyed list item; values are JSON. */
function parseKeys(body: string): Record<string, Json> | undefined {
  const keys: Record<string, Json> = {};
  let rest = body;
  while (rest.length > 0) {
    const equals = rest.indexOf('=');
    if (equals <= 0) return undefined;
    const name = rest.slice(0, equals);
    rest = rest.slice(equals + 1);
    // The value runs to the next `,name=` outside quotes.
    let end = rest.length;
    let quoted = false;
    for (let i = 0; i < rest.length; i++) {
      if (quoted && rest[i] === '\\') i++;
      else if (rest[i] === '"') quoted = !quoted;
      else if (!quoted && rest[i] === ',') {
        end = i;
        break;
      }
    }
    try {
      keys[name] = JSON.parse(rest.slice(0, end)) as Json;
    } catch {
      return undefined;
    }
    rest = rest.slice(end + 1);
  }
  return keys;
}

/**
 * The JSON pointer of a kube field path in `root`, or undefined when the path cannot be
 * followed (a list item or parent that does not exist there). A map key containing dots
 * (labels such as `app.kubernetes.io/name`) is matched against the keys the object has.
 */
export function pointerOf(root: unknown, path: string): string | undefined {
  let node: unknown = root;
  let pointer = '';
  let rest = path;
  while (rest.length > 0) {
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      const key = fieldName(node, rest);
      pointer += `/${escapeToken(key)}`;
      rest = rest.slice(key.length);
      node = isRecord(node) ? node[key] : undefined;
      continue;
    }
    if (!rest.startsWith('[') || !Array.isArray(node)) return undefined;
    const end = closingBracket(rest, 0);
    if (end < 0) return undefined;
    const body = rest.slice(1, end);
    rest = rest.slice(end + 1);
    const index = listIndex(node, body);
    if (index === undefined) return undefined;
    pointer += `/${index}`;
    node = node[index];
  }
  return pointer;
}

/** The map key at the start of `rest`: the longest key of `node` that fits, else up to `.` or `[`. */
function fieldName(node: unknown, rest: string): string {
  if (isRecord(node)) {
    const fits = Object.keys(node)
      .filter((key) => rest.startsWith(key) && ['', '.', '['].includes(rest.charAt(key.length)))
      .sort((a, b) => b.length - a.length);
    if (fits[0] !== undefined) return fits[0];
  }
  const end = rest.search(/[.[]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function listIndex(list: Json[], body: string): number | undefined {
  if (/^\d+$/.test(body)) return Number(body) < list.length ? Number(body) : undefined;
  if (body.startsWith('=')) {
    let value: Json;
    try {
      value = JSON.parse(body.slice(1)) as Json;
    } catch {
      return undefined;
    }
    const index = list.findIndex((item) => JSON.stringify(item) === JSON.stringify(value));
    return index < 0 ? undefined : index;
  }
  const keys = parseKeys(body);
  if (!keys) return undefined;
  const index = list.findIndex((item) => isRecord(item) && Object.entries(keys).every(([name, value]) => JSON.stringify(item[name]) === JSON.stringify(value)));
  return index < 0 ? undefined : index;
}
