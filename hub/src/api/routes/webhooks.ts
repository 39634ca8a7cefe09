import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseSchema } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { deliveryId, parsePush, verifyWebhook } from '../../rollout/webhook.js';

/** How long a delivery id is remembered; forges redeliver within hours, by hand within days. */
const DELIVERY_MEMORY_MS = 7 * 24 * 3600_000;

/**
 * The push webhook of the fleet repository's forge (GitHub, GitLab or Gitea). It keeps the
 * raw body, since signatures are over the bytes as sent; only this plugin parses JSON so.
 * A webhook only wakes the repository follower, which reads the branch tip itself: the
 * commit in a body is never trusted, so a replayed or late delivery cannot roll back.
 */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/api/v1/webhooks/git', {
    config: { access: 'webhook' },
    schema: {
      summary: 'Push webhook: wakes the follower of the fleet repository, which reads the branch tip (signature checked, deliveries deduplicated by id)',
      response: {
        202: Type.Object({ accepted: Type.Boolean() }), 401: ErrorResponseSchema, 404: ErrorResponseSchema, 503: ErrorResponseSchema,
      },
    },
  }, async (request, reply) => {
    const follower = app.hub.rollouts.follower;
    const secret = app.hub.rollouts.webhookSecret;
    if (!follower || !secret) throw new HubError(HubErrorCode.NotFound, 'this hub follows no fleet repository by webhook', { hint: 'configure the fleet repository and a webhook secret' });
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifyWebhook(secret, request.headers, body);
    if (!verdict.ok) {
      request.log.warn({ reason: verdict.reason, provider: verdict.provider }, 'webhook rejected');
      throw new HubError(HubErrorCode.WebhookRejected, `webhook signature ${verdict.reason}`, { hint: 'set the same secret on the forge and the hub' });
    }
    const push = parsePush(body);
    if (!push) return reply.status(202).send({ accepted: false });
    const delivery = deliveryId(request.headers);
    // Over the API connection: while Redis is away this answers 503 within its command timeout.
    if (delivery !== undefined && (await app.hub.redis.set(app.hub.keys.webhookDelivery(delivery), '1', 'PX', DELIVERY_MEMORY_MS, 'NX')) === null) {
      request.log.info({ delivery, provider: verdict.provider }, 'webhook delivery seen before, ignored');
      return reply.status(202).send({ accepted: false });
    }
    return reply.status(202).send({ accepted: follower.wake(push.ref) });
  });
};

export default webhooks;
