import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NetfleetError, type ErrorResponse } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../../errors.js';
import { isRedisUnavailable } from '../../../redis/unavailable.js';

/**
 * The one error format: `{ error: { code, message, hint? } }`. Request validation errors
 * name the field; 5xx responses never show internal messages (they are logged instead).
 * Errors fastify and Node's HTTP parser answer themselves (bad URL, parameter too long,
 * headers too large, request too slow) use it too, through the two handlers below.
 */
export default fp(async (app) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status = 500;
    let body: ErrorResponse;
    if (error instanceof HubError) {
      status = error.statusCode;
      body = { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
    } else if (error.validation) {
      status = 400;
      const first = error.validation[0];
      const field = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
      // Verbose validation (see app.ts) gives each error the schema that failed.
      const expected = (first as { parentSchema?: { expected?: unknown } } | undefined)?.parentSchema?.expected;
      const what = typeof expected === 'string' && first?.keyword !== 'required' ? `expected ${expected}` : first?.message ?? error.message;
      body = { error: { code: HubErrorCode.InvalidRequest, message: `invalid ${field}: ${what}` } };
    } else if (error.statusCode === 413) {
      status = 413;
      body = { error: { code: HubErrorCode.PayloadTooLarge, message: `request body over the limit of ${request.routeOptions.bodyLimit} bytes`, hint: 'send less at once (see docs/protocol.md for the limits)' } };
    } else if (error.statusCode && error.statusCode < 500) {
      status = error.statusCode;
      body = { error: { code: HubErrorCode.InvalidRequest, message: error.message } };
    } else if ((error instanceof NetfleetError && error.code === HubErrorCode.Redis) || isRedisUnavailable(error)) {
      status = 503;
      body = { error: { code: HubErrorCode.Redis, message: 'the hub store (Redis) is unavailable, retry later', hint: 'check that Redis is up and reachable from the hub; see the hub log' } };
    } else {
      body = { error: { code: HubErrorCode.Internal, message: 'internal error, see the hub log' } };
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: HubErrorCode.NotFound, message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}, { name: 'errors' });

/** Fastify's router errors (a URL it cannot decode, a parameter over the length limit), in the hub's format. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply.status(tooLong ? 414 : 400).send({
    error: {
      code: HubErrorCode.InvalidRequest,
      message: tooLong ? 'a path segment of the URL is too long' : 'the URL is not valid (a percent-encoding that does not decode)',
      hint: 'see the API reference at /openapi.json',
    },
  });
}

/** Errors Node's HTTP parser raises before fastify sees a request: answered in the hub's format, then the connection closes. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, HubErrorCode.RequestTimeout, 'the request was not received in time']
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, HubErrorCode.InvalidRequest, 'the request headers are too large']
      : [400, HubErrorCode.InvalidRequest, 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
