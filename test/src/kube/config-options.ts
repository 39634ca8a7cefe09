/**
 * A connection to the API test server handed to another process as JSON and rebuilt there
 * as an agent in its cluster builds its own (`--in-cluster`: client-node's configuration
 * filled in from the service account, no kubeconfig file parsed), so that process loads
 * what a deployed agent loads.
 */
import { KubeConfig } from '@kubernetes/client-node';

/** What the parent passes: a KubeConfig's clusters, users, contexts and current context. */
export type KubeConfigOptions = Parameters<KubeConfig['loadFromOptions']>[0];

export function kubeConfigOptions(config: KubeConfig): KubeConfigOptions {
  return { clusters: config.clusters, users: config.users, contexts: config.contexts, currentContext: config.currentContext };
}

export function kubeConfigFrom(options: KubeConfigOptions): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions(options);
  return config;
}
