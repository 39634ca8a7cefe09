import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '@netfleet/agent';
import { credentialsText, parseCredentials } from '@netfleet/agent/report/index';
import type { Credentials } from '@netfleet/shared';
import type { SecretShape } from '../install/agent-manifests.js';
import { secretOf } from '../install/agent-install.js';

/** The key of the Secret netfleet-hub the agent reads its credentials from (mounted as a file). */
const CREDENTIALS_KEY = 'credentials.json';

/** A cluster's hub credentials as stored in its Secret, with the Secret holding them. */
export interface StoredCredentials {
  credentials: Credentials;
  /** The Secret as it is to be applied: the stored bytes as they are, so applying it again changes nothing. */
  secret: V1Secret;
}

const where = (shape: SecretShape) => `the Secret ${shape.namespace}/${shape.name} (key ${CREDENTIALS_KEY})`;

/** The credentials in the cluster's Secret of `shape`, or undefined when there is no such Secret. */
export async function readStoredCredentials(kube: KubeClient, shape: SecretShape): Promise<StoredCredentials | undefined> {
  const live = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: shape.namespace, name: shape.name });
  if (!live) return undefined;
  const encoded = (live.data as Record<string, string> | undefined)?.[CREDENTIALS_KEY] ?? '';
  const content = Buffer.from(encoded, 'base64');
  return { credentials: parseCredentials(content.toString('utf8'), where(shape)), secret: secretOf(shape, { [CREDENTIALS_KEY]: content }) };
}

/** The Secret of `shape` holding `credentials`, in the format the agent reads. */
export function credentialsSecret(shape: SecretShape, credentials: Credentials): StoredCredentials {
  return { credentials, secret: secretOf(shape, { [CREDENTIALS_KEY]: Buffer.from(credentialsText(credentials)) }) };
}
