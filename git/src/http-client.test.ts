import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHttpClient, type GitHttpClient } from './http-client.js';

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
