/**
 * The `schema` of a CRD version for test kinds: objects with a `spec` (and, when given, a
 * `status`) whose schemas add to `type: object`.
 */
export function objectSchema<Spec extends object, Status extends object = never>(spec: Spec, status?: Status) {
  return {
    openAPIV3Schema: {
      type: 'object' as const,
      properties: {
        spec: { type: 'object' as const, ...spec },
        ...(status ? { status: { type: 'object' as const, ...status } } : {}),
      },
    },
  };
}
