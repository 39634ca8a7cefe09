import { Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from '@netfleet/shared';

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
} as const;

export const ClusterParams = Type.Object({ name: Type.String({ maxLength: 63 }) });
