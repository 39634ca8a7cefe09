/**
 * Stands in for `socks-proxy-agent` in the bundle and loads the real package when first
 * used. `@kubernetes/client-node` imports it statically but uses it only for a kubeconfig
 * whose cluster has a `socks` proxy URL, which an agent in its cluster never has; loaded at
 * start, it and its dependencies (socks, ip-address, smart-buffer) stay in the agent's heap.
 */
interface Real {
  SocksProxyAgent: new (...args: unknown[]) => object;
}

let real: Real | undefined;

/** `new SocksProxyAgent(...)` returns the real package's agent. */
export class SocksProxyAgent {
  constructor(...args: unknown[]) {
    // node's require (the bundle's banner): the package stays in node_modules (LOADED_AT_FIRST_USE in scripts/build.ts) and loads only now.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    real ??= require('socks-proxy-agent') as Real;
    return new real.SocksProxyAgent(...args);
  }
}
