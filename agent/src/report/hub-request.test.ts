import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { hubRequest } from './hub-request.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let close: (() => void) | undefined;

/** A hub on loopback answering with `handler`; its URL. */
async function hub(handler: Handler): Promise<URL> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  close = () => {
    server.closeAllConnections();
    server.close();
  };
  return new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/test`);
}

afterEach(() => close?.());

describe('hubRequest', () => {
  it('sends the method, headers and body with its length, and reads the whole answer', async () => {
    const url = await hub((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => response.writeHead(202, { 'retry-after': '3' }).end(JSON.stringify({
        method: request.method, length: request.headers['content-length'], authorization: request.headers.authorization, body: Buffer.concat(chunks).toString(),
      })));
    });
    const answer = await hubRequest(url, { method: 'POST', headers: { authorization: 'Bearer t0ken' }, body: '{"é":1}' });
    expect(answer).toMatchObject({ status: 202, ok: true });
    expect(answer.headers['retry-after']).toBe('3');
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', length: '8', authorization: 'Bearer t0ken', body: '{"é":1}' });
  });

  it('answers a refusal as not ok, with its body', async () => {
    const url = await hub((_request, response) => response.writeHead(401).end('{"error":{"code":"AUTH"}}'));
    expect(await hubRequest(url, { method: 'GET', headers: {} })).toMatchObject({ status: 401, ok: false, text: '{"error":{"code":"AUTH"}}' });
  });

  it('fails with the signal\'s reason when aborted while the hub holds the request, as fetch does', async () => {
    const controller = new AbortController();
    const url = await hub(() => controller.abort(new Error('stopping')));
    await expect(hubRequest(url, { method: 'GET', headers: {}, signal: controller.signal })).rejects.toThrow('stopping');
  });

  it('fails at once with an already aborted signal', async () => {
    const url = await hub((_request, response) => response.end());
    await expect(hubRequest(url, { method: 'GET', headers: {}, signal: AbortSignal.abort(new Error('stopped before')) })).rejects.toThrow('stopped before');
  });

  it('fails when the hub stays silent for the idle timeout', async () => {
    const url = await hub(() => undefined);
    await expect(hubRequest(url, { method: 'GET', headers: {}, idleTimeoutMs: 50 })).rejects.toThrow('no answer within 50 ms');
  });

  it('fails when nothing listens at the URL', async () => {
    const url = await hub(() => undefined);
    close!();
    await expect(hubRequest(url, { method: 'GET', headers: {} })).rejects.toThrow(/ECONNREFUSED/);
  });
});
