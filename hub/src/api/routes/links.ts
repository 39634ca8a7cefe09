import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ClusterLinksResponseSchema, IncomingLinksResponseSchema, LinkDetailResponseSchema, LinkMatrixQuerySchema, LinkMatrixResponseSchema, type LinkMatrixResponse,
} from '@netfleet/shared/protocol/links';
import { HubError, HubErrorCode } from '../../errors.js';
import type { FleetLinks } from '../../links/fleet-links.js';
import { ClusterParams, LinkPairParams, errorResponses } from './schemas.js';

export interface LinkRoutesOptions {
  /** The hub's link health; routes only read it. */
  links: Pick<FleetLinks, 'view' | 'clusterLinks' | 'incomingLinks' | 'linkDetail'>;
}

/** The 404 of the link routes: what is not in any mesh group, and where to look instead. */
function notFound(message: string): never {
  throw new HubError(HubErrorCode.NotFound, message, { hint: 'list the matrix with GET /api/v1/links' });
}

/** Federation and multicluster link health: the fleet matrix, one cluster's links both ways, one link. */
const links: FastifyPluginAsyncTypebox<LinkRoutesOptions> = async (app, options) => {
  /** The JSON of each response the link health built; it keeps one until the next report, while dashboards poll it. */
  const serialized = new WeakMap<LinkMatrixResponse, string>();

  app.get('/api/v1/links', {
    config: { access: 'read' },
    schema: {
      summary: 'The link matrix per mesh group, with findings and partitions (filter by group, region, state)',
      querystring: LinkMatrixQuerySchema,
      response: { 200: LinkMatrixResponseSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const view = options.links.view(request.query);
    let body = serialized.get(view);
    if (body === undefined) {
      body = JSON.stringify(view);
      serialized.set(view, body);
    }
    // Sent as it is (fastify passes a JSON string through): a 200-cluster matrix is megabytes,
    // which the schema serializer takes tens of ms over. The type is the response's, serialized.
    return reply.type('application/json; charset=utf-8').send(body as unknown as LinkMatrixResponse);
  });

  app.get('/api/v1/links/:from/:to', {
    config: { access: 'read' },
    schema: {
      summary: 'One cell of the matrix: what a cluster last reported of its links to a peer, with since when each fails',
      params: LinkPairParams,
      response: { 200: LinkDetailResponseSchema, ...errorResponses },
    },
  }, async (request) => {
    const { from, to } = request.params;
    return options.links.linkDetail(from, to) ?? notFound(`${from} or ${to} is in no mesh group`);
  });

  // Other clusters' reports: readers and admins only, never a cluster's own token.
  app.get('/api/v1/clusters/:name/incoming-links', {
    config: { access: 'read' },
    schema: {
      summary: 'The links other clusters last reported towards this one',
      params: ClusterParams,
      response: { 200: IncomingLinksResponseSchema, ...errorResponses },
    },
  }, async (request) => {
    return options.links.incomingLinks(request.params.name) ?? notFound(`cluster ${request.params.name} is in no mesh group`);
  });

  app.get('/api/v1/clusters/:name/links', {
    config: { access: 'cluster-read' },
    schema: {
      summary: 'One cluster\'s links as it last reported them',
      params: ClusterParams,
      response: { 200: ClusterLinksResponseSchema, ...errorResponses },
    },
  }, async (request) => {
    return options.links.clusterLinks(request.params.name) ?? notFound(`cluster ${request.params.name} is in no mesh group and has reported no links`);
  });
};

export default links;
