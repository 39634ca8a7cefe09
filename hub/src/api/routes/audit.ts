import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditListSchema } from '@netfleet/shared';
import { PageLimit, errorResponses } from './schemas.js';

/** The audit trail: the last credential and rollout actions, with who did them. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/audit', {
    config: { access: 'read' },
    schema: {
      summary: 'The last credential and rollout actions (rotate, revoke, bootstrap tokens, rollout controls), newest first',
      querystring: Type.Object({ limit: PageLimit(1000, 100) }),
      response: { 200: AuditListSchema, ...errorResponses },
    },
  }, async (request) => ({ items: await app.hub.audit.list(request.query.limit) }));
};

export default audit;
