import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorResponseSchema, MAX_REPORTS_BODY_BYTES, REPORTS_PATH, ReportBatchAcceptedSchema, ReportBatchSchema,
} from '@netfleet/shared';
import { HubError, HubErrorCode } from '../../errors.js';
import { ReportQueueFull, type ReportIntake } from '../../ingest/report-intake.js';
import { errorResponses } from './schemas.js';

export interface ReportRoutesOptions {
  intake: Pick<ReportIntake, 'accept'>;
}

/** The agents' reports: signed reports in, onto the report queue. */
const reports: FastifyPluginAsyncTypebox<ReportRoutesOptions> = async (app, options) => {
  app.post(REPORTS_PATH, {
    config: { access: 'agent' },
    bodyLimit: MAX_REPORTS_BODY_BYTES,
    schema: {
      summary: 'Queue signed reports of the calling cluster (its own cluster token); 429 with Retry-After when the hub is behind',
      body: ReportBatchSchema,
      response: {
        202: ReportBatchAcceptedSchema, 413: ErrorResponseSchema, 429: ErrorResponseSchema, ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.role !== 'cluster') throw new HubError(HubErrorCode.Forbidden, 'only a cluster token sends reports');
    try {
      return await reply.status(202).send(await options.intake.accept(principal.cluster, request.body.reports));
    } catch (error) {
      if (error instanceof ReportQueueFull) void reply.header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
  });
};

export default reports;
