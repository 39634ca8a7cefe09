/**
 * Stands in for `openid-client` in the bundle and imports the real package (a chunk of its
 * own) when first used. `@kubernetes/client-node` imports it statically but calls it only
 * for a kubeconfig user with the `oidc` auth provider, which an agent in its cluster never
 * has; both functions it calls are asynchronous.
 */
interface Real {
  discovery(...args: unknown[]): Promise<unknown>;
  refreshTokenGrant(...args: unknown[]): Promise<unknown>;
}

// The bundler resolves the package where `@kubernetes/client-node` imports it (scripts/build.ts).
// @ts-expect-error -- not a dependency of the workspace root, so the type checker cannot resolve it
const real = async () => (await import('openid-client')) as unknown as Real;

export async function discovery(...args: unknown[]): Promise<unknown> {
  return (await real()).discovery(...args);
}

export async function refreshTokenGrant(...args: unknown[]): Promise<unknown> {
  return (await real()).refreshTokenGrant(...args);
}
