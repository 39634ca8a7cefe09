import { KindNotServedError, KubeApiError, KubeClient, KubeErrorCode, loadKubeConfig } from '@netfleet/agent';
import { ProblemCode, objectProblem, type ConfigProblem, type Fleet, type RenderResult } from '@netfleet/shared';

/** What a server-side dry run of one cluster's objects found. */
export interface DryRunOutcome {
  problems: ConfigProblem[];
  accepted: number;
  refused: number;
  /** Objects the server could not judge yet, with why (a module's CRD not served yet, a namespace this commit creates). */
  skipped: { object: string; why: string }[];
}

/** `failed to create typed patch object (…): .spec.foo: field not declared in schema` */
const TYPED_PATCH_FIELD = /: (\.[A-Za-z0-9_.[\]-]+): ([^:]+)$/;

interface StatusCause {
  field?: string;
  message?: string;
}

/** `.spec.ports[0].name` or `spec.inlet` → ['spec', 'ports', 0, 'name']. */
function fieldPath(field: string): (string | number)[] {
  return field
    .replace(/^\./, '')
    .split(/\.|(?=\[)/)
    .filter((segment) => segment !== '')
    .map((segment) => (/^\[\d+\]$/.test(segment) ? Number(segment.slice(1, -1)) : segment.replace(/^\[|\]$/g, '')));
}

function causesOf(error: KubeApiError): StatusCause[] {
  const body = (error.cause as { body?: unknown } | undefined)?.body;
  const causes = (body as { details?: { causes?: unknown } } | undefined)?.details?.causes;
  return Array.isArray(causes) ? (causes as StatusCause[]) : [];
}

/**
 * Server-side apply with dryRun=All and fieldValidation=Strict of every object rendered for
 * one cluster, as the agent would send it: the live API server judges each one (schemas,
 * CEL rules, admission webhooks, field ownership) and stores nothing.
 */
export async function dryRunCluster(fleet: Fleet, result: RenderResult, connection: { kubeconfig: string; context?: string }): Promise<DryRunOutcome> {
  const kubeConfig = loadKubeConfig({ kubeconfigPath: connection.kubeconfig, ...(connection.context === undefined ? {} : { context: connection.context }) });
  const client = new KubeClient({ kubeConfig, retry: { retries: 2 } });
  const createdNamespaces = new Set(result.objects.filter((rendered) => rendered.object.kind === 'Namespace').map((rendered) => rendered.object.metadata.name));
  const outcome: DryRunOutcome = { problems: [], accepted: 0, refused: 0, skipped: [] };
  await Promise.all(
    result.objects.map(async (rendered) => {
      const label = `${rendered.object.kind}/${rendered.object.metadata.namespace ? `${rendered.object.metadata.namespace}/` : ''}${rendered.object.metadata.name}`;
      try {
        // A kind nothing serves yet (its module is enabled by this very commit) cannot be judged.
        await client.served(rendered.object.apiVersion, rendered.object.kind);
        await client.apply(rendered.object, { force: rendered.policy.force, dryRun: true });
        outcome.accepted += 1;
      } catch (error) {
        if (error instanceof KindNotServedError) {
          outcome.skipped.push({ object: label, why: `${rendered.object.kind} is not served yet (its module is not enabled on the cluster)` });
          return;
        }
        if (!(error instanceof KubeApiError)) throw error;
        const namespace = rendered.object.metadata.namespace;
        if (error.code === KubeErrorCode.NotFound && namespace !== undefined && createdNamespaces.has(namespace)) {
          outcome.skipped.push({ object: label, why: `namespace ${namespace} is created by this commit` });
          return;
        }
        if (error.transient || error.code === KubeErrorCode.Forbidden) throw error;
        const expected = `what the cluster accepts (server-side dry run${connection.context ? ` on context ${connection.context}` : ''})`;
        const causes = causesOf(error).filter((cause) => cause.field);
        // Strict field validation of an apply names the field only in the message.
        const typed = causes.length === 0 ? TYPED_PATCH_FIELD.exec(error.message) : null;
        if (typed) causes.push({ field: typed[1], message: typed[2] });
        const violations = causes.length > 0
          ? causes.map((cause) => ({ code: ProblemCode.ClusterRejected, path: fieldPath(cause.field!), found: cause.message ?? error.message, expected }))
          : [{ code: ProblemCode.ClusterRejected, path: [], found: error.message, expected: error.hint ? `${expected}; ${error.hint}` : expected }];
        outcome.refused += 1;
        for (const violation of violations) outcome.problems.push(objectProblem(fleet, rendered, result.cluster, violation));
      }
    }),
  );
  outcome.skipped.sort((a, b) => (a.object < b.object ? -1 : 1));
  return outcome;
}
