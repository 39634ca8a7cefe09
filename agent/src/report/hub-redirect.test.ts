import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, createLogger } from '@netfleet/shared';
import { AssignmentClient } from '../assignment/client.js';
import { redirectAdvice } from './hub-request.js';
import { saveCredentials } from './registration.js';
import { ReportSender } from './report-sender.js';

const MOVED_TO = 'https://hub.moved.example/api/v1/reports?signature=kept-out-of-logs';

let server: Server | undefined;
let dir: string | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

/**
 * A hub address that answers every request with a permanent redirect, as ingress-nginx does
 * for http:// when the Ingress forces TLS (308 to the https:// address); the requests it got.
 */
async function movedHub(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    response.writeHead(308, { location: MOVED_TO }).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

describe('a hub that answers with a redirect', () => {
  it('keeps the reports for a retry and says where the hub points, without following it or showing the query', async () => {
    const hub = await movedHub();
    const sender = new ReportSender({ hubUrl: hub.url, timeoutMs: 5_000 });
    try {
      const outcome = await sender.send('{"reports":[]}', 'token-of-the-cluster-0123');
      expect(outcome).toMatchObject({ kind: 'retry', status: 308 });
      const { message } = outcome as { message: string };
      expect(message).toContain('a redirect to https://hub.moved.example/api/v1/reports');
      expect(message).toContain('set the hub URL');
      expect(message).not.toContain('kept-out-of-logs');
      expect(hub.requests).toEqual(['POST /api/v1/reports']);
    } finally {
      sender.close();
    }
  });

  it('keeps the last assignment and logs what to do, without following it', async () => {
    const hub = await movedHub();
    dir = await mkdtemp(join(tmpdir(), 'netfleet-redirect-'));
    const credentialsFile = join(dir, 'credentials.json');
    await saveCredentials(credentialsFile, {
      cluster: 'eu-1', reportKey: '0'.repeat(64), apiToken: 'token-of-the-cluster-0123', keyGeneration: 1, protocolVersion: PROTOCOL_VERSION, queue: 'reports', prefix: '{netfleet}',
    });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const assigned: (string | undefined)[] = [];
    const client = new AssignmentClient({ assign: (revision) => assigned.push(revision) }, {
      hubUrl: hub.url, credentialsFile, stateFile: join(dir, 'assignment.json'), retryBaseMs: 10_000,
      logger: createLogger({ name: 'agent', level: 'warn', destination }),
    });
    await client.start();
    expect(await client.settled(5_000)).toBe(false);
    await client.close();
    expect(assigned).toEqual([]);
    expect(hub.requests).toEqual(['GET /api/v1/assignment?wait=0s']);
    expect(lines).toEqual([expect.objectContaining({
      code: 'AGENT_HUB_REDIRECTED', err: expect.stringContaining('a redirect to https://hub.moved.example/api/v1/reports'),
    })]);
    expect(JSON.stringify(lines)).not.toContain('kept-out-of-logs');
  });
});

describe('redirectAdvice', () => {
  it.each([
    [301, '/elsewhere?x=1', 'the path /elsewhere'],
    [302, undefined, 'an address it does not give'],
    [307, ['https://a.example/b'], 'https://a.example/b'],
  ] as const)('names a %i redirect\'s target (%s)', (status, location, where) => {
    expect(redirectAdvice(status, location as string | string[] | undefined)).toContain(`a redirect to ${where};`);
  });

  it.each([200, 202, 304, 400, 503])('is undefined for %i', (status) => {
    expect(redirectAdvice(status, '/x')).toBeUndefined();
  });
});
