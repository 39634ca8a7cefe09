import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { ADMIN_TOKEN, eventually, testHub, testKeySpace } from './helpers.js';

const REQUEST_TIMEOUT_MS = 2_000;

/** What a raw connection received, and whether the server closed it. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: () => boolean } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  let ended = false;
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  socket.on('close', () => (ended = true));
  socket.on('error', () => undefined);
  return { socket, received: () => data, closed: () => ended };
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };

describe('the hub API over a real socket (loopback)', () => {
  const space = testKeySpace('transport');
  let hub: Hub;
  let api: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    await hub.start();
    api = await hub.api();
    await api.listen({ host: '127.0.0.1', port: 0 });
    port = (api.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await hub.close();
    await space.cleanup();
  });

  /** Sends `start`, then `more` every 100 ms, until the server closes the connection (bounded); returns what it answered. */
  async function trickle(start: string, more: string): Promise<string> {
    const client = rawClient(port);
    client.socket.write(start);
    const timer = setInterval(() => client.socket.writable && client.socket.write(more), 100);
    try {
      await eventually(() => expect(client.closed()).toBe(true), 30_000, 100);
    } finally {
      clearInterval(timer);
      client.socket.destroy();
    }
    return client.received();
  }

  it('cuts off a client that trickles its body: 408 in the error format, connection closed', async () => {
    const answer = await trickle('POST /api/v1/register HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{', ' ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(answer).error).toMatchObject({ code: 'HUB_REQUEST_TIMEOUT' });
  });

  it('cuts off a client that trickles its headers', async () => {
    expect(await trickle('GET /healthz HTTP/1.1\r\nHost: hub\r\n', 'X-Slow: 1\r\n')).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers headers that are too large with 431 in the error format', async () => {
    const client = rawClient(port);
    client.socket.write(`GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await eventually(() => expect(client.closed()).toBe(true), 30_000);
    expect(client.received()).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(client.received()).error.code).toBe('HUB_INVALID_REQUEST');
  });

  it.each([
    ['a URL that does not decode', '/api/v1/clusters/%E0%A4%A', 400],
    ['a path segment over the length limit', `/api/v1/clusters/${'a'.repeat(200)}`, 414],
  ])('answers %s in the error format', async (_name, url, status) => {
    const response = await api.inject({ url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_INVALID_REQUEST', message: expect.any(String) } });
  });

  it.each([
    ['__proto__', '{"ttlSeconds":60,"maxUses":1,"__proto__":{"admin":true}}', '"__proto__"'],
    ['an escaped __proto__', '{"ttlSeconds":60,"\\u005f_proto__":{"admin":true}}', '"__proto__"'],
    ['constructor.prototype', '{"ttlSeconds":60,"constructor":{"prototype":{"admin":true}}}', '"constructor.prototype"'],
    ['a syntax error', '{"ttlSeconds":', 'not valid JSON'],
  ])('refuses a body with %s, saying why', async (_name, payload, said) => {
    const response = await api.inject({
      method: 'POST', url: '/api/v1/bootstrap-tokens', payload,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'HUB_INVALID_REQUEST', message: expect.stringContaining(said) });
  });
});
