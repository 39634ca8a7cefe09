import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { HubError, HubErrorCode } from '../../../errors.js';
import type { Principal } from '../../../registry/registry.js';

/**
 * Who may call a route; every route declares one (the API refuses to start otherwise):
 * - `public`: anyone, no token (probes, metrics, the OpenAPI document);
 * - `read`: admin and read-only tokens;
 * - `admin`: admin tokens;
 * - `cluster-read`: admin and read-only tokens, and the token of the cluster named in `:name`;
 * - `cluster-act`: admin tokens and the token of the cluster named in `:name` (a reader never acts);
 * - `agent`: a cluster token only; the route serves the calling cluster;
 * - `bootstrap`: a bootstrap token (checked by the registration itself);
 * - `webhook`: a forge's signature over the body (checked by the webhook route itself).
 */
export const ACCESS_LEVELS = ['public', 'read', 'admin', 'cluster-read', 'cluster-act', 'agent', 'bootstrap', 'webhook'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/** Routes whose caller the route itself checks, without a hub bearer token. */
const NO_BEARER: ReadonlySet<Access> = new Set(['public', 'bootstrap', 'webhook']);

/** One route and who may call it. */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyInstance {
    /** Every route registered after this plugin, with its access; the authorization tests iterate it. */
    routeAccess: readonly RouteAccess[];
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** The caller of a route that requires a token (the auth hooks ran, so there is one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HubError(HubErrorCode.Unauthorized, 'a valid bearer token is required', { hint: 'pass Authorization: Bearer <token>' });
  return request.principal;
}

/** Least privilege: readers only read, a cluster reaches only itself, only admins act on others. */
function allowed(access: Access, principal: Principal, request: FastifyRequest): boolean {
  const self = principal.role === 'cluster' && (request.params as { name?: string }).name === principal.cluster;
  switch (access) {
    case 'read': return principal.role === 'admin' || principal.role === 'reader';
    case 'admin': return principal.role === 'admin';
    case 'cluster-read': return principal.role === 'admin' || principal.role === 'reader' || self;
    case 'cluster-act': return principal.role === 'admin' || self;
    case 'agent': return principal.role === 'cluster';
    default: return false;
  }
}

const FORBIDDEN_HINTS: Record<Access, string> = {
  public: '', bootstrap: '', webhook: '',
  read: 'use an admin or read-only token',
  admin: 'use an admin token',
  'cluster-read': 'a cluster token reads only its own cluster',
  'cluster-act': 'use an admin token, or the cluster\'s own token for its own credentials',
  agent: 'use the cluster token of an agent',
};

export default fp(async (app) => {
  app.decorateRequest('principal', undefined);
  const routes: RouteAccess[] = [];
  app.decorate('routeAccess', routes);
  // A route without a declared access would be open by accident: refuse to start instead.
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access || !(ACCESS_LEVELS as readonly string[]).includes(access)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access: one of ${ACCESS_LEVELS.join(', ')})`);
    }
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, access });
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // No route matched (404 handler): nothing to authorize.
    if (!access || NO_BEARER.has(access)) return;
    const token = bearerToken(request);
    const principal = token ? await app.hub.registry.authenticate(token) : undefined;
    if (!principal) {
      throw new HubError(HubErrorCode.Unauthorized, 'a valid bearer token is required', { hint: 'pass Authorization: Bearer <token>' });
    }
    request.principal = principal;
  });
  // Parameters are parsed after onRequest, so the decision runs as preHandler.
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || NO_BEARER.has(access)) return;
    if (!request.principal || !allowed(access, request.principal, request)) {
      throw new HubError(HubErrorCode.Forbidden, 'this token may not do that', { hint: FORBIDDEN_HINTS[access] });
    }
  });
}, { name: 'auth', dependencies: ['services'] });
