/**
 * Stands in for `js-yaml` in the bundle and loads the real package when first used.
 * `@kubernetes/client-node` imports it statically to parse kubeconfig files; an agent in its
 * cluster builds its configuration from the pod's service account and parses none, so the
 * parser and its schemas would only sit in its heap.
 */
interface Real {
  load(...args: unknown[]): unknown;
  loadAll(...args: unknown[]): unknown;
  dump(...args: unknown[]): string;
}

let real: Real | undefined;

function jsYaml(): Real {
  // node's require (the bundle's banner): the package stays in node_modules (LOADED_AT_FIRST_USE in scripts/build.ts) and loads only now.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  real ??= require('js-yaml') as Real;
  return real;
}

export const load = (...args: unknown[]): unknown => jsYaml().load(...args);
export const loadAll = (...args: unknown[]): unknown => jsYaml().loadAll(...args);
export const dump = (...args: unknown[]): string => jsYaml().dump(...args);

// client-node imports the package's default export.
export default { load, loadAll, dump };
