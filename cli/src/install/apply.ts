import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { KubeClient, type KubeClientOptions } from '@netfleet/agent';

/** The field manager `netfleet install` applies under, apart from the agent's own. */
export const INSTALL_FIELD_MANAGER = 'netfleet-install';

/** What applying one object did, as kubectl words it. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** The cluster `--kubeconfig` / `--context` name (default loading rules when unset). */
export function installKubeConfig(kubeconfig: string | undefined, context: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfig) config.loadFromFile(kubeconfig);
  else config.loadFromDefault();
  if (context) config.setCurrentContext(context);
  return config;
}

/**
 * Server-side applies `objects` in order (Namespace and RBAC before the Deployment that
 * uses them), reporting each as it goes. The first failure stops the run: what follows
 * would depend on it, and running the command again resumes where it stopped.
 */
export async function applyObjects(
  objects: KubernetesObject[], client: KubeClientOptions, progress: (object: KubernetesObject, outcome: ApplyOutcome) => void,
): Promise<void> {
  const kube = new KubeClient({ ...client, fieldManager: INSTALL_FIELD_MANAGER });
  for (const object of objects) {
    const path = { apiVersion: object.apiVersion!, kind: object.kind!, namespace: object.metadata?.namespace, name: object.metadata!.name! };
    const before = await kube.get(path);
    const after = await kube.apply(object as Parameters<KubeClient['apply']>[0], { force: false });
    progress(object, !before ? 'created' : before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured');
  }
}
