import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertListSchema, ClusterName } from '@netfleet/shared';
import { PageLimit, errorResponses } from './schemas.js';

const DeliverySchema = Type.Object({
  time: Type.String(), sink: Type.String(), fingerprint: Type.String(),
  /** The notification's id, the same on each of its attempts (absent in attempts of earlier hubs). */
  delivery: Type.Optional(Type.String()),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  attempt: Type.Integer(), result: Type.Union([Type.Literal('delivered'), Type.Literal('failed')]),
  httpStatus: Type.Optional(Type.Integer()), error: Type.Optional(Type.String()),
});

/** Alerts and their delivery history. */
const alerts: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/alerts', {
    config: { access: 'read' },
    schema: {
      summary: 'Alerts, newest first',
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
        cluster: Type.Optional(ClusterName),
        limit: PageLimit(1000, 100),
      }),
      response: { 200: AlertListSchema, ...errorResponses },
    },
  }, async (request) => ({ items: await app.hub.alerts.list(request.query) }));

  app.get('/api/v1/alerts/deliveries', {
    config: { access: 'read' },
    schema: {
      summary: 'Alert delivery attempts, newest first',
      querystring: Type.Object({ limit: PageLimit(1000, 100) }),
      response: { 200: Type.Object({ items: Type.Array(DeliverySchema) }), ...errorResponses },
    },
  }, async (request) => {
    const raw = await app.hub.redis.lrange(app.hub.keys.deliveries(), 0, request.query.limit - 1);
    return { items: raw.map((line) => JSON.parse(line) as typeof DeliverySchema.static) };
  });
};

export default alerts;
