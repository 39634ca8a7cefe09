import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HubError, HubErrorCode } from '../../errors.js';
import type { LiveFeed } from '../../live/live-feed.js';
import { principalOf } from '../plugins/app/auth.js';
import { errorResponses } from './schemas.js';

export interface LiveRoutesOptions {
  feed: LiveFeed;
}

/** A comment line this often keeps proxies from cutting an idle stream. */
const KEEPALIVE_MS = 20_000;

/** Who the caller is (the dashboard's sign-in), and the stream of live changes it follows. */
const live: FastifyPluginAsyncTypebox<LiveRoutesOptions> = async (app, { feed }) => {
  const streams = new Set<() => void>();
  // The streams never end by themselves: end them so the API can close.
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  app.addHook('onClose', async () => feed.close());

  app.get('/api/v1/whoami', {
    config: { access: 'read' },
    schema: { summary: 'The role of the calling token (admin or reader)', response: { 200: Type.Object({ role: Type.String() }), ...errorResponses } },
  }, async (request) => ({ role: principalOf(request).role }));

  app.get('/api/v1/live', {
    config: { access: 'read' },
    schema: { summary: 'Server-sent events: `change` with the clusters and rollouts that changed (one stream per dashboard tab)', response: errorResponses },
  }, async (_request, reply) => {
    const send = (text: string) => reply.raw.write(text);
    const remove = feed.add((change) => send(`event: change\ndata: ${JSON.stringify(change)}\n\n`));
    if (!remove) throw new HubError(HubErrorCode.Busy, 'this hub replica streams to as many dashboards as it allows', { hint: 'close other dashboard tabs, or retry later' });
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    send(': connected\n\n');
    const keepalive = setInterval(() => send(': keepalive\n\n'), KEEPALIVE_MS);
    const end = () => {
      if (!streams.has(end)) return;
      clearInterval(keepalive);
      remove();
      streams.delete(end);
      reply.raw.end();
    };
    streams.add(end);
    // The response closes when the dashboard goes away (tab closed, signed out).
    reply.raw.once('close', end);
  });
};

export default live;
