/**
 * A Kubernetes API test server that @kubernetes/client-node, unmodified and configured by a
 * generated kubeconfig, uses as it would kube-apiserver v1.28 for what netfleet needs.
 * This module owns the HTTP(S) listener, routing, authentication, faults and the audit log;
 * the verbs live in handlers.ts.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeStatusError, statusErrors } from './status.js';
import { metadataOf, type JsonObject } from './json.js';
import { ResourceRegistry } from './registry.js';
import { ObjectStore } from './store.js';
import { ResourceHandlers, parseJson, type RequestContext, type ValidatingAdmission } from './handlers.js';
import { serveWatch } from './watch.js';
import {
  SERVER_VERSION, aggregatedContentType, aggregatedDiscovery, aggregatedDiscoveryVersion, apiGroupDocument, apiGroupList,
  apiResourceList, apiVersions,
} from './discovery.js';
import { authenticate, authorize, type RequestAttributes, type TokenGrants } from './auth.js';
import { FaultInjector, type KubeFaults } from './faults.js';
import { createAuditLog, type AuditEntry, type AuditLog } from './audit.js';
import { clientConfig, kubeconfigDocument, kubeconfigYaml, serverCertificates } from './kubeconfig.js';
import { moduleConfigWebhook } from './module-config-webhook.js';
import type { ResourceType } from './resource-type.js';
import { dkpCrdsToInstall, moduleSettingsSchemasIfPresent } from '../dkp.js';

export interface KubeApiServerOptions {
  /** Serve HTTPS with a self-signed CA (written into the kubeconfig). Default false. */
  tls?: boolean;
  /**
   * Bearer tokens (each also the user name) and what they may do: `'*'` or `"verb resource"`
   * grants. Default: one token, {@link DEFAULT_ADMIN_TOKEN}, allowed everything.
   */
  tokens?: TokenGrants;
  /** Events per resource kept for watches to resume from; older ones get 410 Gone. Default 1000. */
  watchCacheSize?: number;
  /** Emulate DKP's ModuleConfig validating webhook. Default true. */
  moduleConfigWebhook?: boolean;
  /** Interval of BOOKMARK events for watches that allow them. Default 1000 ms. */
  bookmarkIntervalMs?: number;
  /**
   * How long after a Namespace or CRD starts terminating the namespace controller and the
   * CRD finalizer delete its contents and remove it (and how often they look again while
   * objects with finalizers hold it). Default 50 ms.
   */
  terminationDelayMs?: number;
}

export const DEFAULT_ADMIN_TOKEN = 'netfleet-admin';

const DEFAULTS = { tls: false, watchCacheSize: 1000, moduleConfigWebhook: true, bookmarkIntervalMs: 1000, terminationDelayMs: 50 };

export interface KubeApiServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** A kubeconfig file for the server (current context: the first token's user). */
  readonly kubeconfigPath: string;
  /** A client-node KubeConfig for one user (a token); the first token when absent. */
  kubeConfig(user?: string): KubeConfig;
  /**
   * Server-side-applies the DKP CRDs kube-apiserver accepts (stripped of non-standard x- keys),
   * or netfleet's own definitions of the DKP kinds when the reference files are absent.
   */
  installDkpCrds(filter?: (file: string) => boolean): Promise<void>;
  readonly audit: AuditLog;
  readonly faults: KubeFaults;
  /**
   * Holds the namespace controller and the CRD finalizer (true): deleted Namespaces and CRDs
   * stay Terminating with their contents until released (false).
   */
  holdTermination(held: boolean): void;
  stop(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const DKP_FIELD_MANAGER = 'deckhouse-controller';

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const settings = { ...DEFAULTS, ...options };
  const tokens: TokenGrants = options.tokens ?? { [DEFAULT_ADMIN_TOKEN]: '*' };
  const tokenNames = Object.keys(tokens);
  if (tokenNames.length === 0) throw new Error('startKubeApiServer: tokens must name at least one token');

  const registry = new ResourceRegistry();
  const store = new ObjectStore(settings.watchCacheSize);
  const admission: ValidatingAdmission[] = settings.moduleConfigWebhook ? [moduleConfigWebhook(moduleSettingsSchemasIfPresent)] : [];
  const handlers = new ResourceHandlers(registry, store, admission, settings.terminationDelayMs);
  const audit = createAuditLog();
  const watches = new Set<() => void>();
  const sockets = new Set<Socket>();

  const certificates = settings.tls ? await serverCertificates() : undefined;
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void serve(request, response);
  };
  const server: Server = certificates
    ? createHttpsServer({ cert: certificates.cert, key: certificates.key }, listener)
    : createHttpServer(listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let port = 0;
  let isDown = false;
  let stopped = false;
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : port;
      resolve();
    });
  });
  const dropConnections = () => {
    for (const end of watches) end();
    for (const socket of sockets) socket.destroy();
  };
  await listen();
  const url = `${certificates ? 'https' : 'http'}://127.0.0.1:${port}`;

  const faults = new FaultInjector({
    cutWatches: () => {
      for (const end of [...watches]) end();
    },
    setDown: async (down) => {
      if (down === isDown || stopped) return;
      isDown = down;
      if (down) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        dropConnections();
        await closed;
      } else {
        await listen();
      }
    },
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestUrl = new URL(request.url ?? '/', url);
    const entry: AuditEntry = {
      time: new Date().toISOString(), user: '', verb: 'get', method: request.method ?? 'GET',
      path: `${requestUrl.pathname}${requestUrl.search}`, group: '', resource: '', status: 0,
      dryRun: requestUrl.searchParams.getAll('dryRun').length > 0,
      ...(requestUrl.searchParams.get('fieldManager') ? { fieldManager: requestUrl.searchParams.get('fieldManager')! } : {}),
    };
    const context: RequestContext = { query: requestUrl.searchParams, userAgent: String(request.headers['user-agent'] ?? ''), warnings: [] };
    // Watches are recorded when the stream starts (they may never finish); the rest on completion.
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      audit.push({ ...entry, status: response.statusCode });
    };
    response.on('finish', record);
    response.on('close', record);
    try {
      const latency = faults.currentLatency();
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      const body = await readBody(request);
      const user = authenticate(tokens, request.headers.authorization);
      if (user === undefined) throw statusErrors.unauthorized();
      entry.user = user;
      if (handleNonResource(requestUrl.pathname, request, response)) return;
      const route = resolveRoute(requestUrl.pathname);
      const verb = verbOf(request.method ?? 'GET', route, requestUrl.searchParams);
      const attributes: RequestAttributes = {
        verb, group: route.type.group, resource: route.type.plural,
        ...(route.subresource ? { subresource: route.subresource } : {}),
        ...(route.namespace ? { namespace: route.namespace } : {}),
        ...(route.name ? { name: route.name } : {}),
      };
      Object.assign(entry, { verb, group: attributes.group, resource: attributes.resource });
      if (route.subresource) entry.subresource = route.subresource;
      if (route.namespace) entry.namespace = route.namespace;
      if (route.name) entry.name = route.name;
      const denied = authorize(tokens, user, attributes);
      if (denied) throw denied;
      const injected = faults.errorFor(attributes);
      if (injected) throw injected;
      handleResource(verb, route, body, String(request.headers['content-type'] ?? 'application/json'), context, response);
      if (verb === 'watch') record();
    } catch (error) {
      writeError(response, error, context.warnings);
    }
  }

  /** Health and discovery endpoints; false when the path is a resource path. */
  function handleNonResource(path: string, request: IncomingMessage, response: ServerResponse): boolean {
    const trimmed = path.replace(/\/+$/, '') || '/';
    if (['/healthz', '/livez', '/readyz'].includes(trimmed)) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('ok');
      return true;
    }
    const aggregated = aggregatedDiscoveryVersion(request.headers.accept);
    if (aggregated && (trimmed === '/api' || trimmed === '/apis')) {
      writeJson(response, 200, aggregatedDiscovery(registry, trimmed === '/api', aggregated), [], aggregatedContentType(aggregated));
      return true;
    }
    const document = discoveryDocument(trimmed);
    if (document) writeJson(response, 200, document);
    return document !== undefined;
  }

  function discoveryDocument(path: string): JsonObject | undefined {
    if (path === '/version') return SERVER_VERSION;
    if (path === '/api') return apiVersions(`127.0.0.1:${port}`);
    if (path === '/apis') return apiGroupList(registry);
    const segments = path.split('/').filter(Boolean);
    if (segments[0] !== 'api' && segments[0] !== 'apis') throw statusErrors.pageNotFound();
    let document: JsonObject | undefined;
    if (segments[0] === 'api' && segments.length === 2) document = apiResourceList(registry, '', segments[1]!);
    else if (segments[0] === 'apis' && segments.length === 2) document = apiGroupDocument(registry, segments[1]!);
    else if (segments[0] === 'apis' && segments.length === 3) document = apiResourceList(registry, segments[1]!, segments[2]!);
    else return undefined;
    if (!document) throw statusErrors.pageNotFound();
    return document;
  }

  function resolveRoute(path: string): Route {
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [group, version, rest] = segments[0] === 'api'
      ? ['', segments[1]!, segments.slice(2)]
      : [segments[1]!, segments[2]!, segments.slice(3)];
    let namespace: string | undefined;
    let remainder = rest;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      namespace = rest[1];
      remainder = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = remainder;
    const type = plural === undefined ? undefined : registry.find(group, version, plural);
    if (!type || extra.length > 0) throw statusErrors.pageNotFound();
    if (namespace !== undefined && !type.namespaced) throw statusErrors.pageNotFound();
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource)) throw statusErrors.pageNotFound();
    return {
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
    };
  }

  function handleResource(verb: string, route: Route, body: string, contentType: string, context: RequestContext, response: ServerResponse): void {
    const { type, name, subresource } = route;
    const namespace = route.namespace ?? '';
    const decode = () => decodeBody(body, contentType);
    if (type.deprecationWarning) context.warnings.push(type.deprecationWarning);
    switch (verb) {
      case 'get': return writeJson(response, 200, handlers.get(type, namespace, name!), context.warnings);
      case 'list': return writeJson(response, 200, handlers.list(type, route.namespace, context), context.warnings);
      case 'watch': {
        const end = serveWatch(response, store, {
          type, namespace: route.namespace, query: context.query, present: (object) => handlers.present(type, object),
        }, settings);
        watches.add(end);
        response.on('close', () => watches.delete(end));
        return;
      }
      case 'create': {
        const result = handlers.create(type, namespace, decode(), context);
        return writeJson(response, result.status, result.body, context.warnings);
      }
      case 'update': {
        const result = handlers.update(type, namespace, name!, decode(), subresource, context);
        return writeJson(response, result.status, result.body, context.warnings);
      }
      case 'patch': {
        const result = handlers.patch(type, namespace, name!, body, contentType, subresource, context);
        return writeJson(response, result.status, result.body, context.warnings);
      }
      case 'delete': {
        const result = handlers.delete(type, namespace, name!, body ? parseJson(body) : undefined, context);
        return writeJson(response, result.status, result.body, context.warnings);
      }
      case 'deletecollection': {
        const result = handlers.deleteCollection(type, route.namespace, context);
        return writeJson(response, result.status, result.body, context.warnings);
      }
    }
  }

  async function installDkpCrds(filter: (file: string) => boolean = () => true): Promise<void> {
    const crdType = registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const query = new URLSearchParams({ fieldManager: DKP_FIELD_MANAGER, force: 'true' });
    for (const { file, crd } of dkpCrdsToInstall(filter)) {
      const context: RequestContext = { query, userAgent: DKP_FIELD_MANAGER, warnings: [] };
      try {
        handlers.patch(crdType, '', String(metadataOf(crd).name), JSON.stringify(crd), 'application/apply-patch+yaml', undefined, context);
      } catch (error) {
        const message = error instanceof KubeStatusError ? error.message : String(error);
        throw new Error(`installing DKP CRD ${file}: ${message}`, { cause: error });
      }
    }
  }

  const directory = await mkdtemp(join(tmpdir(), 'netfleet-kube-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(kubeconfigDocument(url, tokenNames, tokenNames[0]!, certificates?.ca)), { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    kubeConfig: (user = tokenNames[0]!) => clientConfig(url, user, certificates?.ca),
    installDkpCrds,
    audit,
    faults,
    holdTermination: (held) => handlers.terminations.hold(held),
    async stop() {
      if (stopped) return;
      stopped = true;
      handlers.terminations.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropConnections();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function verbOf(method: string, route: Route, query: URLSearchParams): string {
  const collection = route.name === undefined;
  const watch = query.get('watch');
  switch (method) {
    case 'GET': return collection ? (watch === 'true' || watch === '1' ? 'watch' : 'list') : 'get';
    case 'POST':
      if (!collection) throw statusErrors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      if (route.namespace === undefined && route.type.namespaced) throw statusErrors.methodNotAllowed('the server does not allow this method on the requested resource');
      return 'create';
    case 'PUT': if (!collection) return 'update'; break;
    case 'PATCH': if (!collection) return 'patch'; break;
    case 'DELETE': return collection ? 'deletecollection' : 'delete';
  }
  throw statusErrors.methodNotAllowed('the server does not allow this method on the requested resource');
}

function decodeBody(body: string, contentType: string): unknown {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/yaml') {
    try {
      return parseYaml(body);
    } catch (error) {
      throw statusErrors.badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (mediaType !== 'application/json' && mediaType !== '*/*' && mediaType !== '') throw statusErrors.unsupportedMediaType(contentType);
  return parseJson(body);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** `Warning: 299 - "text"`, the header kube-apiserver sends warnings in. */
function warningHeaders(warnings: string[]): string[] {
  return warnings.map((warning) => `299 - ${JSON.stringify(warning)}`);
}

function writeJson(
  response: ServerResponse, status: number, body: JsonObject, warnings: string[] = [], contentType = 'application/json', extraHeaders: Record<string, string> = {},
): void {
  const headers: Record<string, string | string[]> = { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', ...extraHeaders };
  if (warnings.length > 0) headers.Warning = warningHeaders(warnings);
  response.writeHead(status, headers);
  response.end(JSON.stringify(body));
}

function writeError(response: ServerResponse, error: unknown, warnings: string[]): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const status = error instanceof KubeStatusError ? error : statusErrors.internal(error instanceof Error ? error.message : String(error));
  const retryAfter = status.details?.retryAfterSeconds;
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  writeJson(response, status.code, status.toStatus(), warnings, 'application/json', headers);
}
