import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BootstrapTokenCreatedSchema, BootstrapTokenInfoSchema, BootstrapTokenRequestSchema, CredentialsSchema,
  ErrorResponseSchema, RegistrationRequestSchema,
} from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { bearerToken, principalOf } from '../plugins/app/auth.js';
import { BootstrapTokenId, errorResponses } from './schemas.js';

/** Bootstrap token admin and cluster registration. */
const registration: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/v1/bootstrap-tokens', {
    config: { access: 'admin' },
    schema: { summary: 'Create a bootstrap token (shown once)', body: BootstrapTokenRequestSchema, response: { 201: BootstrapTokenCreatedSchema, ...errorResponses } },
  }, async (request, reply) => {
    const created = await app.hub.registry.createBootstrapToken(request.body);
    await app.hub.audit.record('bootstrap-token.create', principalOf(request), created.id);
    return reply.status(201).send(created);
  });

  app.get('/api/v1/bootstrap-tokens', {
    config: { access: 'admin' },
    schema: { summary: 'List bootstrap tokens (without their values)', response: { 200: Type.Object({ items: Type.Array(BootstrapTokenInfoSchema) }), ...errorResponses } },
  }, async () => ({ items: await app.hub.registry.listBootstrapTokens() }));

  app.delete('/api/v1/bootstrap-tokens/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Delete a bootstrap token', params: Type.Object({ id: BootstrapTokenId }), response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    if (!(await app.hub.registry.deleteBootstrapToken(request.params.id))) {
      throw new HubError(HubErrorCode.NotFound, `no bootstrap token ${request.params.id}`);
    }
    await app.hub.audit.record('bootstrap-token.delete', principalOf(request), request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/api/v1/register', {
    config: { access: 'bootstrap' },
    schema: {
      summary: 'Register a cluster with a bootstrap token (Authorization: Bearer <bootstrap token>)',
      body: RegistrationRequestSchema,
      response: { 201: CredentialsSchema, 409: ErrorResponseSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const token = bearerToken(request);
    if (!token) throw new HubError(HubErrorCode.Unauthorized, 'a bootstrap token is required', { hint: 'pass Authorization: Bearer <bootstrap token>' });
    const credentials = await app.hub.registry.register(token, request.body);
    request.log.info({ cluster: request.body.cluster, region: request.body.region }, 'cluster registered');
    return reply.status(201).send(credentials);
  });
};

export default registration;
