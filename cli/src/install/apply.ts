import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubeClient, loadKubeConfig, type KubeClientOptions } from '@netfleet/agent';
import type { KubeObject } from '@netfleet/shared';

/** The field manager `netfleet install` applies under, apart from the agent's own. */
export const INSTALL_FIELD_MANAGER = 'netfleet-install';

/** What applying one object did, as kubectl words it. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** The cluster `--kubeconfig` / `--context` name (default loading rules when unset), checked as the agent checks it. */
export function installKubeConfig(kubeconfig: string | undefined, context: string | undefined): KubeConfig {
  return loadKubeConfig({ ...(kubeconfig ? { kubeconfigPath: kubeconfig } : {}), ...(context ? { context } : {}) });
}

/**
 * Server-side applies `objects` in order (Namespace and RBAC before the Deployment that
 * uses them), reporting each as it goes. The Namespaces go first; then every other object
 * is dry-run before any is applied, so an object the cluster refuses (invalid, or a field
 * another manager owns) leaves nothing half-installed but its namespace.
 */
export async function applyObjects(
  objects: KubernetesObject[], client: KubeClientOptions, progress: (object: KubernetesObject, outcome: ApplyOutcome) => void,
): Promise<void> {
  const kube = new KubeClient({ ...client, fieldManager: INSTALL_FIELD_MANAGER });
  const apply = async (object: KubernetesObject) => {
    const path = { apiVersion: object.apiVersion!, kind: object.kind!, namespace: object.metadata?.namespace, name: object.metadata!.name! };
    const before = await kube.get(path);
    const after = await kube.apply(object as KubeObject, { force: false });
    progress(object, !before ? 'created' : before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured');
  };
  const namespaces = objects.filter((object) => object.kind === 'Namespace' && object.apiVersion === 'v1');
  const rest = objects.filter((object) => !namespaces.includes(object));
  for (const object of namespaces) await apply(object);
  for (const object of rest) await kube.apply(object as KubeObject, { force: false, dryRun: true });
  for (const object of rest) await apply(object);
}
