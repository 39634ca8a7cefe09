import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { HubError, HubErrorCode } from '../../errors.js';
import { uiSourcesNewerThanBuild } from '../ui-dir.js';

export interface UiRoutesOptions {
  /** The built dashboard (index.html and assets/); answered with how to build it when it is not there. */
  dir: string | undefined;
}

/**
 * Only the hub's own files: no inline script or style, no other origin, no framing. The
 * dashboard's token travels as a bearer header, so nothing here relaxes that.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): void {
  void reply.headers({
    'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cross-origin-opener-policy': 'same-origin',
  });
}

/**
 * The dashboard at `/ui/`: the page is revalidated on every load (it names the current
 * assets), the assets carry a content hash in their names and are cached for a year.
 */
const ui: FastifyPluginAsync<UiRoutesOptions> = async (app, options) => {
  const dir = options.dir && existsSync(join(options.dir, 'index.html')) ? options.dir : undefined;
  if (dir) await app.register(fastifyStatic, { root: dir, serve: false });
  const edited = dir ? uiSourcesNewerThanBuild(dir) : [];
  if (edited.length > 0) app.log.warn({ dir, edited: edited.slice(0, 5), count: edited.length }, 'the dashboard served was built before its sources were edited: run `pnpm build`');
  const notBuilt = () => new HubError(HubErrorCode.NotFound, 'the dashboard is not built into this hub', { hint: 'run `pnpm build` in the netfleet checkout, then restart the hub' });

  app.get('/ui', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 301));

  app.get('/ui/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    if (!dir) throw notBuilt();
    secure(reply);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });

  app.get('/ui/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (!dir) throw notBuilt();
    secure(reply);
    const file = (request.params as { '*': string })['*'];
    return reply.sendFile(`assets/${file}`, { cacheControl: true, maxAge: '365d', immutable: true });
  });
};

export default ui;
