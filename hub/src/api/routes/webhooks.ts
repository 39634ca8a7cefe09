import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponseSchema } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { parsePush, verifyWebhook } from '../../rollout/webhook.js';

/**
 * The push webhook of the fleet repository's forge (GitHub, GitLab or Gitea). It keeps the
 * raw body, since signatures are over the bytes as sent; only this plugin parses JSON so.
 */
const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/api/v1/webhooks/git', {
    config: { access: 'webhook' },
    schema: {
      summary: 'Push webhook: a new commit on the followed branch starts a rollout (signature checked)',
      response: { 202: Type.Object({ accepted: Type.Boolean() }), 401: ErrorResponseSchema, 404: ErrorResponseSchema },
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
    const accepted = push !== null && (await follower.pushed(push.ref, push.after));
    return reply.status(202).send({ accepted });
  });
};

export default webhooks;
