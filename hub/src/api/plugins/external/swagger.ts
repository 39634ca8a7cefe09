import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import { HUB_VERSION } from '../../../version.js';

/** OpenAPI document built from the route schemas; served at /openapi.json. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'netfleet hub API', version: HUB_VERSION, description: 'Fleet registry and state, drift, events, alerts.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}, { name: 'swagger' });
