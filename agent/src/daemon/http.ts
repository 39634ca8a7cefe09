import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

/**
 * `/healthz`, `/readyz` and `/metrics`, on node's own HTTP server: three fixed GET
 * endpoints need no routing, schemas or plugins (a web framework costs the agent 3 MB).
 */
export function buildHttpServer(metrics: AgentMetrics, probes: ProbeState): Server {
  return createServer((request, response) => {
    respond(request, response, metrics, probes).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(JSON.stringify({ status: 'error', message: error instanceof Error ? error.message : String(error) }));
    });
  });
}

async function respond(request: IncomingMessage, response: ServerResponse, metrics: AgentMetrics, probes: ProbeState): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://probe').pathname;
  const send = (status: number, contentType: string, body: string) => {
    response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  const json = (status: number, body: object) => send(status, 'application/json; charset=utf-8', JSON.stringify(body));
  if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { status: 'method not allowed' });
  if (path === '/healthz') return probes.live() ? json(200, { status: 'ok' }) : json(503, { status: 'stuck' });
  if (path === '/readyz') return probes.ready() ? json(200, { status: 'ready' }) : json(503, { status: 'not ready' });
  if (path === '/metrics') return send(200, metrics.registry.contentType, await metrics.registry.metrics());
  return json(404, { status: 'not found' });
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
export async function listenOn(server: Server, listen: string): Promise<void> {
  const { host, port } = parseListen(listen);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const reason = describeListenError(error);
    if (!reason) throw error;
    throw new AgentConfigError(`cannot serve /healthz, /readyz and /metrics on ${listen}: ${reason}`, 'pick another address with --listen or NETFLEET_LISTEN');
  }
}

/** Stops serving, kept-alive connections included (a probe's connection would hold the stop for seconds). */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
