import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@netfleet/shared';
import swagger from './plugins/external/swagger.js';
import errors, { clientErrorHandler, frameworkErrors } from './plugins/external/errors.js';
import jsonBody from './plugins/external/json-body.js';
import services, { type HubServices } from './plugins/app/services.js';
import auth from './plugins/app/auth.js';
import clusters from './routes/clusters.js';
import registration from './routes/registration.js';
import alerts from './routes/alerts.js';
import health from './routes/health.js';
import rollouts from './routes/rollouts.js';
import webhooks from './routes/webhooks.js';
import links from './routes/links.js';
import audit from './routes/audit.js';
import reports from './routes/reports.js';
import ui from './routes/ui.js';
import live from './routes/live.js';
import { LiveFeed } from '../live/live-feed.js';
import { defaultUiDir } from './ui-dir.js';
import { requestLoggerFactory } from './request-logger.js';

/** PEM key and certificate chain: the API serves HTTPS with them. */
export interface ApiTls {
  key: string;
  cert: string;
}

interface FiniteKeyword {
  keyword: 'finite';
  schemaType: 'boolean';
  validate(finite: boolean, data: unknown): boolean;
}

/**
 * `finite: true`: the number is not ±Infinity (a query string of `1e400` coerces to it, past
 * ajv's bounds). Declared for every type: ajv runs number keywords only on values that were
 * finite numbers before coercion.
 */
function finiteKeyword<T extends { addKeyword(definition: FiniteKeyword): unknown }>(ajv: T): T {
  ajv.addKeyword({ keyword: 'finite', schemaType: 'boolean', validate: (finite, data) => !finite || typeof data !== 'number' || Number.isFinite(data) });
  return ajv;
}

export interface ApiOptions {
  /** Longest a client may take to send a whole request (headers and body). */
  requestTimeoutMs: number;
  /** Serve HTTPS with this key and certificate. */
  tls?: ApiTls;
  /** The built dashboard served at /ui/; found beside the hub's code when not given. */
  uiDir?: string;
}

/** Dashboards one replica streams live changes to at once, and how long changes are gathered into one notice. */
const LIVE_FEED = { maxListeners: 200, flushMs: 250 };

/** Headers are due well before the whole request; Node requires it to be at most the request timeout. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Builds the HTTP API in layers: external plugins (error format, JSON bodies, OpenAPI), then
 * app plugins (services, auth), then routes. Tests call `inject` on it without a port.
 */
export async function buildApi(hubServices: HubServices, logger: Logger | undefined, options: ApiOptions): Promise<FastifyInstance> {
  // A client trickling its headers or body holds a connection only this long (fastify's
  // default is no limit). Node checks the timeouts on an interval (30 s by default), which
  // bounds how late a slow client is cut off.
  const timeouts = { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, options.requestTimeoutMs), connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs) };
  // Per-request log lines would flood the log at fleet scale; errors are logged by the error handler.
  const app = Fastify({
    loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: requestLoggerFactory, bodyLimit: 64 * 1024,
    requestTimeout: options.requestTimeoutMs,
    ...(options.tls ? { https: { ...options.tls, ...timeouts } } : { http: timeouts }),
    frameworkErrors, clientErrorHandler,
    // `expected` is the phrase shared schemas give for a value that does not match; verbose
    // errors carry the schema, so the error format can show it. Fields a schema does not
    // allow are refused, not dropped (fastify's default): a bad label key is an error, not lost.
    ajv: { customOptions: { keywords: ['expected'], verbose: true, removeAdditional: false }, plugins: [finiteKeyword] },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Time spent in the hub per request, for clients and benchmarks to tell it from the network.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(1)}`);
  });
  await app.register(errors);
  await app.register(jsonBody);
  await app.register(services, { services: hubServices });
  // Auth first: every route after it (the OpenAPI document included) must declare its access.
  await app.register(auth);
  await app.register(swagger);
  await app.register(health);
  await app.register(registration);
  await app.register(clusters);
  await app.register(alerts);
  await app.register(rollouts);
  await app.register(webhooks);
  await app.register(links, { links: hubServices.links });
  await app.register(reports, { intake: hubServices.reports });
  await app.register(audit);
  await app.register(live, { feed: new LiveFeed(hubServices.redis, hubServices.keys.liveChannel(), LIVE_FEED, app.log) });
  await app.register(ui, { dir: options.uiDir ?? defaultUiDir() });
  await app.ready();
  return app as unknown as FastifyInstance;
}
