import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AssignmentResponseSchema, ClusterName, ErrorResponseSchema, RolloutControlBodySchema, RolloutDetailSchema, RolloutListSchema, parseDuration,
} from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { applyControl, type RolloutControl } from '../../rollout/controller.js';
import { assignmentView, rolloutDetail, rolloutSummary } from '../../rollout/views.js';
import { principalOf } from '../plugins/app/auth.js';
import { PageLimit, PageOffset, RolloutId, errorResponses } from './schemas.js';

/** The longest an agent's long-poll may wait; proxies commonly cut idle requests at 60 s. */
const MAX_WAIT_SECONDS = 55;

const CONTROL_ACTIONS = ['pause', 'resume', 'abort', 'rollback', 'promote'] as const;
const RolloutParams = Type.Object({ id: RolloutId });
const ControlParams = Type.Object({
  id: RolloutId,
  action: Type.Union(CONTROL_ACTIONS.map((action) => Type.Literal(action))),
});
const RetryParams = Type.Object({ id: RolloutId, cluster: ClusterName });
const controlResponses = { 200: RolloutDetailSchema, 409: ErrorResponseSchema, ...errorResponses };

const notFound = (id: string) => new HubError(HubErrorCode.NotFound, `rollout ${id} does not exist`, { hint: 'list rollouts with GET /api/v1/rollouts' });

/** Rollouts (list, status, controls) and the agents' assignment long-poll. */
const rollouts: FastifyPluginAsyncTypebox = async (app) => {
  const { store, watch } = app.hub.rollouts;

  async function detail(id: string) {
    const rollout = await store.get(id);
    if (!rollout) throw notFound(id);
    return rolloutDetail(rollout, await store.notices(id));
  }

  async function control(id: string, event: RolloutControl) {
    const outcome = await applyControl(store, id, event);
    if (!outcome) throw notFound(id);
    if (outcome.refused) throw new HubError(HubErrorCode.RolloutRefused, `rollout ${id}: ${outcome.refused}`, { hint: `see GET /api/v1/rollouts/${id}` });
    return detail(id);
  }

  app.get('/api/v1/rollouts', {
    config: { access: 'read' },
    schema: {
      summary: 'Rollouts, newest first',
      querystring: Type.Object({ limit: PageLimit(500, 50), offset: PageOffset }),
      response: { 200: RolloutListSchema, ...errorResponses },
    },
  }, async (request) => ({ items: (await store.list(request.query)).map(rolloutSummary) }));

  app.get('/api/v1/rollouts/:id', {
    config: { access: 'read' },
    schema: { summary: 'One rollout: each wave, each cluster, the gate holding it, recent events', params: RolloutParams, response: { 200: RolloutDetailSchema, ...errorResponses } },
  }, async (request) => detail(request.params.id));

  app.post('/api/v1/rollouts/:id/:action', {
    config: { access: 'admin' },
    schema: {
      summary: 'Pause, resume, abort, roll back, or promote (skip the bake of) a rollout',
      params: ControlParams, body: RolloutControlBodySchema, response: controlResponses,
    },
    // The body is optional: a POST without one is a control without a reason.
    preValidation: async (request) => {
      request.body ??= {};
    },
  }, async (request) => {
    const reason = request.body?.reason ?? `${request.params.action} through the API`;
    const at = Date.now();
    const { action } = request.params;
    const event: RolloutControl = action === 'resume' || action === 'promote' ? { type: action, at } : { type: action as 'pause' | 'abort' | 'rollback', reason, at };
    const detail = await control(request.params.id, event);
    await app.hub.audit.record(`rollout.${action}`, principalOf(request), request.params.id);
    return detail;
  });

  app.post('/api/v1/rollouts/:id/clusters/:cluster/retry', {
    config: { access: 'admin' },
    schema: { summary: 'Queue a failed cluster to be given the revision again', params: RetryParams, response: controlResponses },
  }, async (request) => {
    const detail = await control(request.params.id, { type: 'retry', cluster: request.params.cluster, at: Date.now() });
    await app.hub.audit.record('rollout.retry', principalOf(request), `${request.params.id}/${request.params.cluster}`);
    return detail;
  });

  app.get('/api/v1/assignment', {
    config: { access: 'agent' },
    schema: {
      summary: 'The revision the calling cluster must run; with `wait`, answers when it differs from If-None-Match',
      querystring: Type.Object({
        wait: Type.String({ pattern: '^(?=[0-9])([0-9]+m)?([0-9]+s)?$', default: '0s', description: 'How long to wait for a change, e.g. "30s".' }),
      }),
      headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 256 })) }),
      response: { 200: AssignmentResponseSchema, 304: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.role !== 'cluster') throw new HubError(HubErrorCode.Forbidden, 'only a cluster token has an assignment');
    const waitSeconds = parseDuration(request.query.wait);
    if (waitSeconds > MAX_WAIT_SECONDS) throw new HubError(HubErrorCode.InvalidRequest, `invalid querystring/wait: at most ${MAX_WAIT_SECONDS}s`);
    const known = request.headers['if-none-match']?.replace(/^"|"$/g, '');
    const gone = new AbortController();
    // The response closes early only when the agent hung up; stop waiting for it then.
    reply.raw.once('close', () => gone.abort());
    const assignment = await watch.wait(principal.cluster, known, waitSeconds * 1000, gone.signal);
    const view = assignment && assignmentView(assignment);
    if (view) void reply.header('etag', `"${view.tag}"`);
    if (view && view.tag === known) return reply.status(304).send(null);
    return { assignment: view };
  });
};

export default rollouts;
