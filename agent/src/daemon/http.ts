import Fastify, { type FastifyInstance } from 'fastify';
import { describeListenError } from '@netfleet/shared';
import { AgentConfigError } from '../errors.js';
import type { AgentMetrics } from './metrics.js';

/** What the probes ask of the daemon. */
export interface ProbeState {
  /** The main loop is alive (it finished a step recently or is inside one). */
  live(): boolean;
  /** A sync has applied a revision since start, and the agent is not shutting down. */
  ready(): boolean;
}

/** `/healthz`, `/readyz` and `/metrics`. */
export function buildHttpServer(metrics: AgentMetrics, probes: ProbeState): FastifyInstance {
  const app = Fastify({ logger: false });
  const probeResponse = { 200: { type: 'object', properties: { status: { type: 'string' } } }, 503: { type: 'object', properties: { status: { type: 'string' } } } };
  app.get('/healthz', { schema: { response: probeResponse } }, async (_request, reply) => (
    probes.live() ? { status: 'ok' } : reply.code(503).send({ status: 'stuck' })
  ));
  app.get('/readyz', { schema: { response: probeResponse } }, async (_request, reply) => (
    probes.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' })
  ));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}

/** Splits `host:port` (or `:port`, `port`); an AgentConfigError for anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = colon === -1 ? '0.0.0.0' : listen.slice(0, colon) || '0.0.0.0';
  const portText = colon === -1 ? listen : listen.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new AgentConfigError(`option listen is "${listen}"; expected host:port with a port from 0 to 65535`, 'fix --listen or NETFLEET_LISTEN, e.g. 0.0.0.0:8080');
  }
  return { host, port };
}

/** Starts serving on `listen`; an address in use or not available is the user's to fix. */
export async function listenOn(app: FastifyInstance, listen: string): Promise<void> {
  try {
    await app.listen(parseListen(listen));
  } catch (error) {
    const reason = describeListenError(error);
    if (!reason) throw error;
    throw new AgentConfigError(`cannot serve /healthz, /readyz and /metrics on ${listen}: ${reason}`, 'pick another address with --listen or NETFLEET_LISTEN');
  }
}
