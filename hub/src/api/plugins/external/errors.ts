import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { NetfleetError, type ErrorResponse } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../../errors.js';
import { isRedisUnavailable } from '../../../redis/unavailable.js';

/**
 * The one error format: `{ error: { code, message, hint? } }`. Request validation errors
 * name the field; 5xx responses never show internal messages (they are logged instead).
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
      body = { error: { code: HubErrorCode.InvalidRequest, message: `invalid ${field}: ${first?.message ?? error.message}` } };
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
