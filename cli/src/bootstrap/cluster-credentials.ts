import type { KubeClient } from '@netfleet/agent';
import { requestCredentials } from '@netfleet/agent/report/index';
import { NetfleetError, type ClusterDetail, type Credentials } from '@netfleet/shared';
import type { SecretShape } from '../install/agent-manifests.js';
import { HubClient, readTokenFile } from '../hub-client.js';
import { credentialsSecret, readStoredCredentials, type StoredCredentials } from './stored-credentials.js';

/** The hub's answers to a token it does not take. */
const REFUSED = ['HUB_UNAUTHORIZED', 'HUB_FORBIDDEN'];

export interface CredentialsRequest {
  hubUrl: string;
  cluster: string;
  region?: string;
  labels: Record<string, string>;
  bootstrapTokenFile?: string;
  rotate: boolean;
}

/** The cluster's credentials after the step, and what the step did with the hub. */
export interface CredentialsStep extends StoredCredentials {
  action: 'kept' | 'registered' | 'rotated';
}

/**
 * The cluster's hub credentials: those in its Secret when the hub still takes them
 * (rotated first with `rotate`), else new ones from registering with the bootstrap token.
 * Nothing is written here; the values stay in memory.
 */
export async function clusterCredentials(kube: KubeClient, shape: SecretShape, request: CredentialsRequest): Promise<CredentialsStep> {
  const stored = await readStoredCredentials(kube, shape);
  if (!stored) return { ...credentialsSecret(shape, await register(request, shape)), action: 'registered' };
  const { credentials } = stored;
  if (credentials.cluster !== request.cluster) {
    throw new NetfleetError('CLI_BOOTSTRAP_OTHER_CLUSTER', `the Secret ${shape.namespace}/${shape.name} holds the credentials of cluster ${credentials.cluster}, not ${request.cluster}`, {
      hint: 'check --cluster and --kubeconfig/--context: this cluster was bootstrapped under another name',
    });
  }
  const hub = HubClient.withToken(request.hubUrl, credentials.apiToken);
  const path = `/api/v1/clusters/${encodeURIComponent(request.cluster)}`;
  await hub.get<ClusterDetail>(path).catch((error: unknown) => {
    if (!(error instanceof NetfleetError) || !REFUSED.includes(error.code)) throw error;
    throw new NetfleetError('CLI_BOOTSTRAP_CREDENTIALS_REFUSED', `the hub refuses the credentials in the Secret ${shape.namespace}/${shape.name} (key generation ${credentials.keyGeneration}): ${error.message}`, {
      hint: `the cluster was revoked, or --hub-url is another hub; to register it anew, delete that Secret and run bootstrap again with a new bootstrap token`,
      cause: error,
    });
  });
  if (!request.rotate) return { ...stored, action: 'kept' };
  const rotated = await hub.post<Credentials>(`${path}/rotate`);
  return { ...credentialsSecret(shape, rotated), action: 'rotated' };
}

async function register(request: CredentialsRequest, shape: SecretShape): Promise<Credentials> {
  if (request.bootstrapTokenFile === undefined || request.region === undefined) {
    throw new NetfleetError('CLI_USAGE', `${request.cluster} has no credentials in this cluster (no Secret ${shape.namespace}/${shape.name}): registering it needs --bootstrap-token-file and --region`, {
      hint: 'ask a hub admin for a bootstrap token (POST /api/v1/bootstrap-tokens) and pass the file holding it',
    });
  }
  const bootstrapToken = await readTokenFile(request.bootstrapTokenFile, '--bootstrap-token-file');
  return requestCredentials({ hubUrl: request.hubUrl, bootstrapToken, cluster: request.cluster, region: request.region, labels: request.labels })
    .catch((error: unknown) => {
      if (!(error instanceof NetfleetError) || error.code !== 'HUB_CLUSTER_EXISTS') throw error;
      throw new NetfleetError(error.code, `${request.cluster} is registered with the hub, but its credentials are not in this cluster (no Secret ${shape.namespace}/${shape.name})`, {
        hint: 'check --kubeconfig/--context and --namespace; if this is the cluster, a hub admin rotates its credentials (POST /api/v1/clusters/NAME/rotate) and you store them with netfleet install agent --hub-credentials FILE',
        cause: error,
      });
    });
}
