import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { HubError, HubErrorCode } from '../../../errors.js';
import type { Principal } from '../../../registry/registry.js';

/**
 * Who may call a route:
 * - `admin`: admin tokens;
 * - `read`: admin and read-only tokens;
 * - `cluster`: those, and the token of the cluster named in the `:name` parameter;
 * - `agent`: a cluster token only; the route serves the calling cluster;
 * - `bootstrap`: a bootstrap token (checked by the registration itself).
 */
export type Access = 'admin' | 'read' | 'cluster' | 'agent' | 'bootstrap';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function allowed(access: Access, principal: Principal, request: FastifyRequest): boolean {
  if (access === 'agent') return principal.role === 'cluster';
  if (principal.role === 'admin') return true;
  if (access === 'admin') return false;
  if (principal.role === 'reader') return true;
  return access === 'cluster' && (request.params as { name?: string }).name === principal.cluster;
}

export default fp(async (app) => {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || access === 'bootstrap') return;
    const token = bearerToken(request);
    const principal = token ? await app.hub.registry.authenticate(token) : undefined;
    if (!principal) {
      throw new HubError(HubErrorCode.Unauthorized, 'a valid bearer token is required', { hint: 'pass Authorization: Bearer <token>' });
    }
    request.principal = principal;
  });
  // Parameters are parsed after onRequest, so the cluster check runs as preHandler.
  app.addHook('preHandler', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || access === 'bootstrap' || !request.principal) return;
    if (!allowed(access, request.principal, request)) {
      throw new HubError(HubErrorCode.Forbidden, 'this token may not do that', {
        hint: access === 'admin' ? 'use an admin token' : access === 'agent' ? 'use the cluster token of an agent' : 'a cluster token reads only its own cluster',
      });
    }
  });
}, { name: 'auth', dependencies: ['services'] });
