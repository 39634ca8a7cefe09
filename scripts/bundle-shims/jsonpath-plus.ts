/**
 * Stands in for `jsonpath-plus` in the bundle and loads the real package when first used.
 * `@kubernetes/client-node` imports it statically but calls it only to read the token of a
 * kubeconfig's `gcp` or `azure` auth provider, which an agent in its cluster never uses.
 */
interface Real {
  JSONPath: (options: unknown) => unknown;
}

let real: Real | undefined;

export function JSONPath(options: unknown): unknown {
  // node's require (the bundle's banner): the package stays in node_modules (LOADED_AT_FIRST_USE in scripts/build.ts) and loads only now.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  real ??= require('jsonpath-plus') as Real;
  return real.JSONPath(options);
}
