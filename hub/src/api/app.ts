import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@netfleet/shared';
import swagger from './plugins/external/swagger.js';
import errors from './plugins/external/errors.js';
import services, { type HubServices } from './plugins/app/services.js';
import auth from './plugins/app/auth.js';
import clusters from './routes/clusters.js';
import registration from './routes/registration.js';
import alerts from './routes/alerts.js';
import health from './routes/health.js';
import rollouts from './routes/rollouts.js';
import webhooks from './routes/webhooks.js';
import links from './routes/links.js';
import reports from './routes/reports.js';

/** PEM key and certificate chain: the API serves HTTPS with them. */
export interface ApiTls {
  key: string;
  cert: string;
}

/**
 * Builds the HTTP API in layers: external plugins (OpenAPI, error format), then app
 * plugins (services, auth), then routes. Tests call `inject` on it without a port.
 */
export async function buildApi(hubServices: HubServices, logger?: Logger, tls?: ApiTls): Promise<FastifyInstance> {
  // Per-request log lines would flood the log at fleet scale; errors are logged by the error handler.
  const app = Fastify({
    loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 64 * 1024,
    ...(tls ? { https: tls } : {}),
  })
    .withTypeProvider<TypeBoxTypeProvider>();
  // Time spent in the hub per request, for clients and benchmarks to tell it from the network.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(1)}`);
  });
  await app.register(swagger);
  await app.register(errors);
  await app.register(services, { services: hubServices });
  await app.register(auth);
  await app.register(health);
  await app.register(registration);
  await app.register(clusters);
  await app.register(alerts);
  await app.register(rollouts);
  await app.register(webhooks);
  await app.register(links, { links: hubServices.links });
  await app.register(reports, { intake: hubServices.reports });
  await app.ready();
  return app as unknown as FastifyInstance;
}
