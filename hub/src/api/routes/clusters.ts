import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ClusterDetailSchema, ClusterListSchema, ClusterName, ClusterState, CredentialsSchema, DriftStateSchema, ErrorResponseSchema,
  DnsLabel, EventListSchema, LabelSelector, SyncStatus, type ClusterDetail,
} from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { principalOf } from '../plugins/app/auth.js';
import { ClusterParams, PageLimit, RevisionFilter, errorResponses } from './schemas.js';

const notFound = (name: string) => new HubError(HubErrorCode.NotFound, `cluster ${name} is not registered`, { hint: 'list clusters with GET /api/v1/clusters' });

const ListQuery = Type.Object({
  region: Type.Optional(DnsLabel),
  /** `key=value`; repeat for several labels (all must match). */
  label: Type.Optional(Type.Array(LabelSelector, { maxItems: 16 })),
  status: Type.Optional(Type.Enum(ClusterState)),
  sync: Type.Optional(Type.Enum(SyncStatus)),
  revision: Type.Optional(RevisionFilter),
  limit: PageLimit(500, 100),
  /** The last name of the previous page. */
  cursor: Type.Optional(ClusterName),
});

/** A cluster with the revision the rollouts assign it, when they assign one. */
const withAssigned = (cluster: ClusterDetail, revision: string | undefined): ClusterDetail => (revision ? { ...cluster, assignedRevision: revision } : cluster);

/** Fleet registry and state: list, detail, drift, events; rotation and revocation. */
const clusters: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/clusters', {
    config: { access: 'read' },
    schema: { summary: 'List clusters (filtered, paginated by name)', querystring: ListQuery, response: { 200: ClusterListSchema, ...errorResponses } },
  }, async (request) => {
    const query = request.query;
    return app.hub.fleet.list({
      region: query.region, labels: query.label, state: query.status, sync: query.sync, revision: query.revision,
      limit: query.limit, cursor: query.cursor,
    }, app.hub.rollouts.store.assignedRevisionSource);
  });

  app.get('/api/v1/clusters/:name', {
    config: { access: 'cluster-read' },
    schema: { summary: 'One cluster: registration and state', params: ClusterParams, response: { 200: ClusterDetailSchema, ...errorResponses } },
  }, async (request) => {
    const [detail, assigned] = await Promise.all([app.hub.fleet.detail(request.params.name), app.hub.rollouts.store.assignedRevisions([request.params.name])]);
    if (!detail) throw notFound(request.params.name);
    return withAssigned(detail, assigned.get(detail.name));
  });

  app.get('/api/v1/clusters/:name/drift', {
    config: { access: 'cluster-read' },
    schema: { summary: 'Current drift of a cluster (Secret values hidden)', params: ClusterParams, response: { 200: DriftStateSchema, ...errorResponses } },
  }, async (request) => {
    const drift = await app.hub.fleet.drift(request.params.name);
    if (!drift) throw notFound(request.params.name);
    return drift;
  });

  app.get('/api/v1/clusters/:name/events', {
    config: { access: 'cluster-read' },
    schema: {
      summary: 'Event history of a cluster, newest first', params: ClusterParams,
      querystring: Type.Object({ limit: PageLimit(1000, 100) }),
      response: { 200: EventListSchema, ...errorResponses },
    },
  }, async (request) => {
    if (!(await app.hub.fleet.exists(request.params.name))) throw notFound(request.params.name);
    return { items: await app.hub.fleet.events(request.params.name, request.query.limit) };
  });

  app.post('/api/v1/clusters/:name/rotate', {
    config: { access: 'cluster-act' },
    schema: {
      summary: 'New report key and API token; the old ones stop working at once', params: ClusterParams,
      response: { 200: CredentialsSchema, 409: ErrorResponseSchema, ...errorResponses },
    },
  }, async (request) => {
    const credentials = await app.hub.registry.rotate(request.params.name);
    await app.hub.audit.record('cluster.rotate', principalOf(request), request.params.name);
    return credentials;
  });

  app.post('/api/v1/clusters/:name/revoke', {
    config: { access: 'admin' },
    schema: {
      summary: 'Refuse the cluster\'s reports and token from now on', params: ClusterParams,
      response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    await app.hub.registry.revoke(request.params.name);
    await app.hub.audit.record('cluster.revoke', principalOf(request), request.params.name);
    return reply.status(204).send(null);
  });
};

export default clusters;
