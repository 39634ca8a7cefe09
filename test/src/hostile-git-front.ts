/**
 * An HTTP front for the harness git server that passes requests through to the real
 * `git http-backend`, except that `git-upload-pack` requests can be answered with crafted
 * bytes: packs that lie, pkt-lines that lie, `ERR` lines, or a trickle of one byte at a
 * time. Ref discovery stays real, so a client sees a genuine branch head and then a
 * hostile fetch. It can also close a kept-alive connection as a request arrives on it.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GitServer, GitServerRepo } from './git-server.js';

/** How to answer one `git-upload-pack` POST. */
export type UploadPackAnswer =
  /** This whole body at once, as `application/x-git-upload-pack-result`. */
  | { body: Buffer }
  /** This body one byte per `intervalMs`, never faster. */
  | { drip: Buffer; intervalMs: number };

export interface HostileGitFront {
  /** The repository's clone URL through the front. */
  url(repo: GitServerRepo): string;
  /** Answer `git-upload-pack` with this from now on; undefined passes requests through again. */
  answerUploadPack(answer: UploadPackAnswer | undefined): void;
  /** How many `git-upload-pack` requests were answered with crafted bytes. */
  readonly craftedAnswers: number;
  /**
   * Close the connection of the next request that comes on a kept-alive connection, without
   * answering: what a client sees when the server closes an idle connection just as a
   * request goes out on it.
   */
  dropNextKeptAliveRequest(): void;
  /** How many requests were dropped so. */
  readonly droppedRequests: number;
  dispose(): Promise<void>;
}

export async function startHostileGitFront(backend: GitServer): Promise<HostileGitFront> {
  let answer: UploadPackAnswer | undefined;
  let craftedAnswers = 0;
  let dropNext = false;
  let droppedRequests = 0;
  const served = new WeakSet<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    if (dropNext && served.has(req.socket)) {
      dropNext = false;
      droppedRequests += 1;
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    if (answer && req.method === 'POST' && req.url?.endsWith('/git-upload-pack')) {
      craftedAnswers += 1;
      const current = answer;
      req.resume();
      req.once('end', () => respond(res, current, timers));
      return;
    }
    passThrough(req, res, backend.baseUrl);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo.name}.git`,
    answerUploadPack(next) {
      answer = next;
    },
    get craftedAnswers() {
      return craftedAnswers;
    },
    dropNextKeptAliveRequest() {
      dropNext = true;
    },
    get droppedRequests() {
      return droppedRequests;
    },
    async dispose() {
      for (const timer of timers) clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function respond(res: ServerResponse, answer: UploadPackAnswer, timers: Set<NodeJS.Timeout>): void {
  res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-result', 'Cache-Control': 'no-cache' });
  if ('body' in answer) {
    res.end(answer.body);
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= answer.drip.length || res.destroyed) {
      clearInterval(timer);
      timers.delete(timer);
      res.end();
      return;
    }
    res.write(answer.drip.subarray(sent, sent + 1));
    sent += 1;
  }, answer.intervalMs);
  timers.add(timer);
  res.once('close', () => {
    clearInterval(timer);
    timers.delete(timer);
  });
}

function passThrough(req: IncomingMessage, res: ServerResponse, backendUrl: string): void {
  // The crafted answers are protocol v0 answers to a fetch: without the Git-Protocol header the
  // backend speaks v0, so the one upload-pack POST of a fetch is the pack request (no ls-refs).
  const { 'git-protocol': _protocol, ...headers } = req.headers;
  const forwarded = request(`${backendUrl}${req.url ?? '/'}`, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  forwarded.once('error', () => res.destroy());
  req.pipe(forwarded);
}

/** One pkt-line (gitprotocol-common): four hex digits of length, then the payload. */
export function pktLine(payload: Buffer | string): Buffer {
  const data = Buffer.from(payload);
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
}

export const FLUSH_PKT = Buffer.from('0000');

/**
 * An upload-pack result as a server sends it: `lines` (shallow lines, then a flush; or
 * NAK), then the pack on side-band 1 in 64 KiB packets, then a flush.
 */
export function uploadPackResult(options: { shallowLines?: string[]; pack?: Buffer; lines?: string[] } = {}): Buffer {
  const parts: Buffer[] = [];
  if (options.shallowLines) parts.push(...options.shallowLines.map((line) => pktLine(`${line}\n`)), FLUSH_PKT);
  for (const line of options.lines ?? ['NAK']) parts.push(pktLine(`${line}\n`));
  const pack = options.pack ?? Buffer.alloc(0);
  for (let start = 0; start < pack.length; start += 65515) {
    parts.push(pktLine(Buffer.concat([Buffer.from([1]), pack.subarray(start, start + 65515)])));
  }
  parts.push(FLUSH_PKT);
  return Buffer.concat(parts);
}
