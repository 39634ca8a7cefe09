import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { runGit } from './git-cli.js';
import { selfSignedCertificate } from './tls.js';

/** Credentials the server demands; a token is accepted as `Bearer` or as a basic-auth password. */
export type GitServerAuth = { username: string; password: string } | { token: string };

export interface StartGitServerOptions {
  /** Demand credentials on every request. Default: anonymous access. */
  auth?: GitServerAuth;
  /** Serve HTTPS with a fresh self-signed certificate (see `GitServer.caPem`). Default false. */
  tls?: boolean;
  /**
   * Speak protocol v2 to clients that ask for it (`Git-Protocol: version=2`), as git does by
   * default. False serves v0 only, like servers from before git 2.18. Default true.
   */
  protocolV2?: boolean;
  /**
   * Refuse v0 fetch requests that do not ask for `multi_ack` / `multi_ack_detailed`, as
   * Azure DevOps does (TF401041). Default false.
   */
  requireMultiAck?: boolean;
  /** Renamed repositories: requests for `<old>.git/...` are answered 301 to `<new>.git/...`, as hosting services do. */
  moved?: Record<string, string>;
}

/** One HTTP request the server received, for counting round trips. */
export interface GitRequestLogEntry {
  method: string;
  /** URL path without the query, e.g. `/fleet.git/info/refs`. */
  path: string;
  /** `git-upload-pack` or `git-receive-pack` when the request names one. */
  service: string | undefined;
  /** The request body's Content-Encoding (git gzips large requests). */
  contentEncoding: string | undefined;
  /** The status the server answered with. */
  status: number;
  /** The `Git-Protocol` request header (`version=2` when the client asks for v2). */
  gitProtocol: string | undefined;
  /** Bytes of the response body sent so far. */
  responseBytes: number;
  /** Which TCP connection it came on (1 for the server's first): requests sharing one reused a kept-alive connection. */
  connection: number;
}

export interface GitServerRepo {
  name: string;
  /** Clone URL over HTTP(S), without credentials. */
  url: string;
  /** Path of the bare repository on disk; the commit helpers push here directly. */
  dir: string;
}

export interface GitServer {
  /** `http(s)://127.0.0.1:PORT` */
  readonly baseUrl: string;
  readonly port: number;
  /** PEM of the self-signed certificate when `tls` is on: the CA bundle clients must trust. */
  readonly caPem: string | undefined;
  /** Every request since start or the last `clearLog()`. */
  readonly requests: readonly GitRequestLogEntry[];
  clearLog(): void;
  /** Create an empty bare repository `<name>.git` (initial branch `main`). */
  createRepo(name: string): Promise<GitServerRepo>;
  /** Point `count` refs named `<prefix><n>` at `oid` (e.g. GitHub's `refs/pull/<n>/head`: thousands on busy repositories). */
  addRefs(repo: GitServerRepo, prefix: string, count: number, oid: string): Promise<void>;
  /** Clone URL with the configured credentials embedded, for the native git CLI. */
  authenticatedUrl(repo: GitServerRepo): string;
  /** Stop listening and drop open connections; the port stays reserved for `start()`. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  /**
   * Answer the next request with this status instead of serving it; with `method`, the
   * next request of that method (e.g. `POST`: the pack request, after ref discovery).
   */
  failNext(status: number, method?: string): void;
  /** Answer every request with this status until called with `undefined`. */
  failAll(status: number | undefined): void;
  /** While on, answer every request (of `method`, when given) with 200 and a body that is not git protocol data. */
  garbage(enabled: boolean, method?: string): void;
  /** Stop the server and delete every repository. */
  dispose(): Promise<void>;
}

const HTTP_BACKEND = process.env.NETFLEET_GIT_HTTP_BACKEND ?? '/usr/lib/git-core/git-http-backend';
const GARBAGE_BODY = '<html><body>Sign in to the captive portal to continue</body></html>\n';

/**
 * Serve bare repositories over smart HTTP through the real `git http-backend` (CGI),
 * with optional auth, TLS, fault switches and a request log.
 */
export async function startGitServer(options: StartGitServerOptions = {}): Promise<GitServer> {
  const projectRoot = await mkdtemp(join(tmpdir(), 'netfleet-git-'));
  const tls = options.tls ? await selfSignedCertificate() : undefined;
  const requests: GitRequestLogEntry[] = [];
  const faults: {
    next: { status: number; method: string | undefined } | undefined;
    all: number | undefined;
    garbage: { method: string | undefined } | undefined;
  } = { next: undefined, all: undefined, garbage: undefined };
  const applies = (fault: { method: string | undefined } | undefined, method: string) =>
    fault !== undefined && (fault.method === undefined || fault.method === method);

  const connections = new WeakMap<object, number>();
  let connectionCount = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://git.invalid');
    const entry: GitRequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      service: url.searchParams.get('service') ?? url.pathname.match(/(git-(?:upload|receive)-pack)$/)?.[1],
      contentEncoding: req.headers['content-encoding'],
      status: 0,
      gitProtocol: req.headers['git-protocol'] as string | undefined,
      responseBytes: 0,
      connection: connections.get(req.socket) ?? 0,
    };
    requests.push(entry);
    recordResponse(res, entry);

    let injected = faults.all;
    if (faults.next && applies(faults.next, entry.method)) {
      injected = faults.next.status;
      faults.next = undefined;
    }
    if (injected !== undefined) {
      req.resume();
      res.writeHead(injected, { 'Content-Type': 'text/plain' }).end(`injected failure ${injected}\n`);
      return;
    }
    if (applies(faults.garbage, entry.method)) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(GARBAGE_BODY);
      return;
    }
    const user = authenticate(req, options.auth);
    if (user === null) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="netfleet-git"', 'Content-Type': 'text/plain' })
        .end('authentication required\n');
      return;
    }
    const movedTo = movedLocation(url, options.moved);
    if (movedTo) {
      req.resume();
      res.writeHead(301, { Location: movedTo, 'Content-Type': 'text/plain' }).end('moved permanently\n');
      return;
    }
    const protocol = options.protocolV2 === false ? '' : String(req.headers['git-protocol'] ?? '');
    if (options.requireMultiAck && entry.method === 'POST' && entry.service === 'git-upload-pack' && !protocol.includes('version=2')) {
      void refuseWithoutMultiAck(req, res).then((body) => body && serveCgi(body, res, url, projectRoot, user, protocol));
      return;
    }
    serveCgi(req, res, url, projectRoot, user, protocol);
  };

  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  // TLS sockets come as `secureConnection`; the request's socket is the same object.
  server.on(tls ? 'secureConnection' : 'connection', (socket: object) => connections.set(socket, ++connectionCount));
  await listen(server, 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  async function stop(): Promise<void> {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  return {
    baseUrl,
    port,
    caPem: tls?.cert,
    requests,
    clearLog: () => { requests.length = 0; },
    async createRepo(name) {
      const dir = join(projectRoot, `${name}.git`);
      await runGit(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
      // Anonymous pushes are refused by default; the harness pushes over HTTP in some tests.
      await runGit(['config', 'http.receivepack', 'true'], { cwd: dir });
      return { name, url: `${baseUrl}/${name}.git`, dir };
    },
    async addRefs(repo, prefix, count, oid) {
      const commands = Array.from({ length: count }, (_, n) => `create ${prefix}${n} ${oid}\n`).join('');
      await runGit(['update-ref', '--stdin'], { cwd: repo.dir, input: commands });
      // Packed, as a server keeps its refs.
      await runGit(['pack-refs', '--all'], { cwd: repo.dir });
    },
    authenticatedUrl(repo) {
      const auth = options.auth;
      if (!auth) return repo.url;
      const [user, secret] = 'token' in auth ? ['token', auth.token] : [auth.username, auth.password];
      const url = new URL(repo.url);
      url.username = encodeURIComponent(user);
      url.password = encodeURIComponent(secret);
      return url.toString();
    },
    stop,
    start: async () => { if (!server.listening) await listen(server, port); },
    failNext: (status, method) => { faults.next = { status, method }; },
    failAll: (status) => { faults.all = status; },
    garbage: (enabled, method) => { faults.garbage = enabled ? { method } : undefined; },
    async dispose() {
      await stop();
      await rm(projectRoot, { recursive: true, force: true });
    },
  };
}

/** The authenticated user name, `''` for anonymous access, or null when credentials are missing or wrong. */
function authenticate(req: IncomingMessage, auth: GitServerAuth | undefined): string | null {
  if (!auth) return '';
  const header = req.headers.authorization ?? '';
  const [scheme = '', value = ''] = header.split(' ', 2);
  if ('token' in auth && scheme.toLowerCase() === 'bearer') return value === auth.token ? 'token' : null;
  if (scheme.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if ('token' in auth) return password === auth.token ? username || 'token' : null;
  return username === auth.username && password === auth.password ? username : null;
}

/** Log the status as the head goes out (a client may act on it before the body ends), and count body bytes. */
function recordResponse(res: ServerResponse, entry: GitRequestLogEntry): void {
  const writeHead = res.writeHead.bind(res);
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    entry.status = status;
    return (writeHead as (...args: unknown[]) => ServerResponse)(status, ...rest);
  }) as typeof res.writeHead;
  const write = res.write.bind(res);
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) entry.responseBytes += Buffer.byteLength(chunk);
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof res.write;
}

function movedLocation(url: URL, moved: Record<string, string> | undefined): string | undefined {
  const match = /^\/([^/]+)\.git(\/.*)?$/.exec(url.pathname);
  const target = match && moved?.[match[1]!];
  return target ? `/${target}.git${match[2] ?? ''}${url.search}` : undefined;
}

/**
 * Read a v0 fetch request and answer it as Azure DevOps does when its first want line asks
 * for neither multi_ack capability; otherwise hand the body on.
 */
async function refuseWithoutMultiAck(req: IncomingMessage, res: ServerResponse): Promise<Readable | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const body = (req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip' ? gunzipSync(raw) : raw;
  const firstWant = body.toString('latin1', 4, Math.min(body.length, 1000)).split('\n', 1)[0] ?? '';
  if (/ multi_ack(_detailed)?( |$)/.test(firstWant)) return Readable.from([body]);
  res.writeHead(500, { 'Content-Type': 'text/plain' })
    .end('TF401041: The client must request the multi_ack capability to fetch from this repository.\n');
  return undefined;
}

/** Run `git http-backend` for one request (RFC 3875 CGI) and relay its answer. */
function serveCgi(req: IncomingMessage | Readable, res: ServerResponse, url: URL, projectRoot: string, user: string, protocol: string): void {
  const headers = 'headers' in req ? req.headers : {};
  const gzipped = (headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: 'method' in req ? req.method ?? 'GET' : 'POST',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: headers['content-type'] ?? 'application/x-git-upload-pack-request',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_USER: user,
    // Protocol v2 is negotiated through this header: http-backend passes it on to
    // upload-pack as GIT_PROTOCOL. Left empty, the server speaks v0.
    HTTP_GIT_PROTOCOL: protocol,
  };
  // A gzip body is inflated here, so its length is unknown: http-backend then reads to EOF.
  if (!gzipped && headers['content-length']) env.CONTENT_LENGTH = headers['content-length'];

  const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.on('error', (error) => fail(`cannot run git http-backend: ${error.message}`));
  child.stdin.on('error', () => undefined);
  const body = gzipped ? req.pipe(createGunzip()) : req;
  body.on('error', () => child.stdin.destroy());
  body.pipe(child.stdin);

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = findHeaderEnd(head);
    if (!split) return;
    const { status, headers } = parseCgiHeaders(head.subarray(0, split.index).toString('latin1'));
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(split.index + split.length));
  });
  child.on('close', (code) => {
    if (!headersSent) fail(`git http-backend exited with ${code}: ${stderr.trim()}`);
    else res.end();
  });
  res.on('close', () => { if (child.exitCode === null) child.kill('SIGKILL'); });

  function fail(message: string) {
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
  }
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
