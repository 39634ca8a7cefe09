import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@netfleet/shared/log';
import { loadCredentials } from './credentials.js';
import { createGitHttpClient, type GitHttpClient } from './http-client.js';
import { HttpTransport } from './http-transport.js';
import { FLUSH, pktLine, ProtocolError } from './pkt-line.js';

let server: Server;
let client: GitHttpClient;

afterEach(async () => {
  client.close();
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await closed;
});

/**
 * A server that echoes each request, or closes its connection unanswered: those on a
 * connection it answered before (`kept-alive`: what a client sees when the server closes an
 * idle connection just as a request goes out on it), or all of them.
 */
async function echoServer() {
  const counts = { connections: 0, dropped: 0 };
  let drop: 'none' | 'kept-alive' | 'all' = 'none';
  const answered = new WeakSet<Socket>();
  server = createServer(async (req, res) => {
    if (drop === 'all' || (drop === 'kept-alive' && answered.has(req.socket))) {
      counts.dropped += 1;
      req.socket.destroy();
      return;
    }
    answered.add(req.socket);
    res.end(`${req.method} ${await text(req)}`);
  });
  server.on('connection', () => { counts.connections += 1; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = createGitHttpClient({ timeoutMs: 10_000 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git/git-upload-pack`;
  // One answered request leaves a kept-alive connection in the client's pool.
  expect(await text(await client.request({ url, method: 'GET', headers: {} }))).toBe('GET ');
  return { url, counts, dropFrom: (which: typeof drop) => { drop = which; } };
}

describe('a kept-alive connection the server closes as a request goes out on it', () => {
  it('gets the request sent again, body and all, on a new connection', async () => {
    const { url, counts, dropFrom } = await echoServer();
    dropFrom('kept-alive');

    const response = await client.request({ url, method: 'POST', headers: {}, body: Buffer.from('0032want') });

    expect(await text(response)).toBe('POST 0032want');
    expect(counts).toEqual({ connections: 2, dropped: 1 });
  });

  it('fails the request when the new connection fails too', async () => {
    const { url, counts, dropFrom } = await echoServer();
    dropFrom('all');

    await expect(client.request({ url, method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(counts).toEqual({ connections: 2, dropped: 2 });
  });
});

const HEAD = 'a'.repeat(40);
const BRANCH = 'refs/heads/main';

/**
 * A kept-alive smart HTTP server that ends each body a moment after its last packet, as a
 * server streaming git's output does when the chunked body's end goes out in a segment of
 * its own. `after` is sent between the last packet and the end.
 */
async function gitServer(version: 0 | 2, after = Buffer.alloc(0), advertisementLine?: string) {
  const counts = { connections: 0, requests: 0, closed: 0 };
  server = createServer(async (req, res) => {
    counts.requests += 1;
    await text(req);
    const discovery = req.url?.endsWith('/info/refs?service=git-upload-pack') ?? false;
    res.writeHead(200, { 'content-type': `application/x-git-upload-pack-${discovery ? 'advertisement' : 'result'}` });
    const packets = !discovery
      ? [pktLine(`${HEAD} ${BRANCH}\n`), FLUSH]
      : version === 2
        ? [pktLine('# service=git-upload-pack\n'), FLUSH, pktLine('version 2\n'), pktLine('ls-refs\n'), pktLine('fetch=shallow\n'), FLUSH]
        : [pktLine('# service=git-upload-pack\n'), FLUSH, pktLine(advertisementLine ?? `${HEAD} ${BRANCH}\0shallow agent=git/2.39\n`), FLUSH];
    res.write(Buffer.concat([...packets, after]));
    setTimeout(() => res.end(), 10);
  });
  server.on('connection', (socket) => {
    counts.connections += 1;
    socket.on('close', () => { counts.closed += 1; });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Longer than the test: a connection left unread would be freed only by this timeout.
  client = createGitHttpClient({ timeoutMs: 60_000 });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
  const transport = new HttpTransport(url, client, createLogger({ name: 'http-transport-test', level: 'silent' }));
  return { transport, counts };
}

describe('the ref listing over smart HTTP', () => {
  it.each([[2, 'the advertisement once, then ls-refs'], [0, 'the ref advertisement']] as const)(
    'reads each answer to its end under protocol v%i (%s), so polls take turns on one kept-alive connection',
    async (version, _what) => {
      const { transport, counts } = await gitServer(version);
      const credentials = await loadCredentials(undefined);
      // More polls than the client's pool has connections (4): left unread, the fifth would wait for a timeout.
      for (let poll = 0; poll < 8; poll += 1) {
        const { refs } = await transport.listRefs(BRANCH, credentials);
        expect(refs.get(BRANCH)).toBe(HEAD);
      }
      expect(counts.requests).toBe(version === 2 ? 9 : 8);
      expect(counts.connections).toBe(1);
    },
  );

  it.each([2, 0] as const)('refuses data after the last packet under protocol v%i, and closes that connection', async (version) => {
    const { transport, counts } = await gitServer(version, Buffer.from('trailing bytes'));
    await expect(transport.listRefs(BRANCH, await loadCredentials(undefined))).rejects.toThrow(ProtocolError);
    await expect.poll(() => counts.closed).toBe(1);
  });

  it('closes the connection of an advertisement it cannot read, rather than leave it to the timeout', async () => {
    const { transport, counts } = await gitServer(0, undefined, 'not a ref line\n');
    await expect(transport.listRefs(BRANCH, await loadCredentials(undefined))).rejects.toThrow(/malformed ref advertisement line/);
    await expect.poll(() => counts.closed).toBe(1);
  });
});
