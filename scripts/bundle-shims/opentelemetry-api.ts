/**
 * Stands in for `@opentelemetry/api` in the bundle and loads the real package when first
 * used. prom-client requires it at load but reads it only to label the CPU counter's
 * exemplars, which netfleet never enables: the two calls it makes go to the real API.
 */
interface Real {
  trace: { getSpan(context: unknown): unknown };
  context: { active(): unknown };
}

let real: Real | undefined;

function api(): Real {
  // node's require (the bundle's banner): the package stays in node_modules (LOADED_AT_FIRST_USE in scripts/build.ts) and loads only now.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  real ??= require('@opentelemetry/api') as Real;
  return real;
}

export const trace = { getSpan: (context: unknown): unknown => api().trace.getSpan(context) };
export const context = { active: (): unknown => api().context.active() };
