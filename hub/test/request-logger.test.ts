import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@netfleet/shared';
import { requestLoggerFactory } from '../src/api/request-logger.js';

/** A fastify app logging to lines, counting the children its logger makes. */
async function appLoggingTo(lines: string[]) {
  const destination = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  const logger = createLogger({ name: 'request-logger-test', level: 'info', destination });
  const makeChild = logger.child.bind(logger);
  const children = { made: 0 };
  logger.child = ((...args: Parameters<typeof makeChild>) => {
    children.made += 1;
    return makeChild(...args);
  }) as typeof logger.child;
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: requestLoggerFactory });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/loud', async (request) => {
    request.log.info({ token: 'a-secret-value', cluster: 'alpha' }, 'cluster looked at');
    request.log.warn('and again');
    return { ok: true };
  });
  await app.ready();
  return { app, children };
}

describe('the API\'s request loggers', () => {
  it('makes no child logger for a request that logs nothing', async () => {
    const lines: string[] = [];
    const { app, children } = await appLoggingTo(lines);
    const before = children.made;
    for (let request = 0; request < 5; request += 1) expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(children.made).toBe(before);
    expect(lines).toEqual([]);
    await app.close();
  });

  it('logs a request\'s lines with its request id, once, secrets redacted', async () => {
    const lines: string[] = [];
    const { app, children } = await appLoggingTo(lines);
    const before = children.made;
    expect((await app.inject({ url: '/loud' })).statusCode).toBe(200);
    expect(children.made).toBe(before + 1);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ msg: 'cluster looked at', cluster: 'alpha', token: '[hidden]', reqId: expect.any(String) });
    expect(second).toMatchObject({ msg: 'and again', reqId: first!.reqId });
    expect(lines.join('\n')).not.toContain('a-secret-value');
    await app.close();
  });
});
