import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HUB_VERSION } from '../../version.js';

const Status = Type.Object({ status: Type.String(), version: Type.String(), redis: Type.Optional(Type.String()) });

/** Liveness, readiness and Prometheus metrics; no token needed. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { config: { access: 'public' }, schema: { response: { 200: Status } } }, async () => ({ status: 'ok', version: HUB_VERSION }));

  app.get('/readyz', { config: { access: 'public' }, schema: { response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const redis = await app.hub.redis.ping().then(() => 'ok', () => 'unreachable');
    const ready = redis === 'ok' && app.hub.workersRunning();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', version: HUB_VERSION, redis });
  });

  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const registry = app.hub.metrics.registry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};

export default health;
