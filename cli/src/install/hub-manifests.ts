import type { KubernetesObject, V1Deployment, V1Ingress, V1Namespace, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { SecretShape } from './agent-manifests.js';
import { RESTRICTED_CONTAINER, RESTRICTED_POD, httpListener, nameLabel } from './pod.js';
import { REDIS_NAME, REDIS_PORT, redisManifests } from './redis-manifests.js';

/** What `netfleet install hub` is told. */
export interface HubInstallInputs {
  namespace: string;
  image: string;
  /** The host agents reach the hub API on (Ingress with TLS). */
  host: string;
  /** An external Redis (or Sentinel / Cluster) URL; unset runs Redis beside the hub. */
  redisUrl?: string;
  redisImage: string;
}

export const HUB_NAME = 'netfleet-hub';
/**
 * The hub container's command: node with 32 MB semi-spaces (a flag node does not take from
 * NODE_OPTIONS). Reports make short-lived garbage fast: at 100,000 clusters this halves the
 * scavenges and cuts the time in GC by a third (docs/scale.md). deploy/hub/hub.yaml runs the same
 * (cli/test/deploy-hub.test.ts holds them equal).
 */
export const HUB_COMMAND: readonly string[] = ['node', '--max-semi-space-size=32', '/opt/netfleet/dist/netfleet.mjs'];
const LISTEN_PORT = 8080;
/** What the Ingress routes to the hub: the API and the dashboard (Prefix matches path elements). */
export const INGRESS_PATHS = ['/api', '/ui'];

/** The hub's manifests: two replicas behind a Service and an Ingress, a budget keeping one up, and Redis (deploy/redis) unless an external one is given. */
export function hubManifests(inputs: HubInstallInputs): { objects: KubernetesObject[]; secrets: SecretShape[]; notes: string[] } {
  const { namespace } = inputs;
  const namespaceObject: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  const redis = inputs.redisUrl ? [] : redisManifests({ namespace, image: inputs.redisImage, clientName: HUB_NAME });
  const budget: V1PodDisruptionBudget = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: HUB_NAME, namespace },
    // Two replicas: a drain takes one at a time, the other keeps ingesting reports.
    spec: { minAvailable: 1, selector: { matchLabels: nameLabel(HUB_NAME) } },
  };
  const service: V1Service = {
    // Labelled for the ServiceMonitor of deploy/monitoring/hub, which selects Services by label.
    apiVersion: 'v1', kind: 'Service', metadata: { name: HUB_NAME, namespace, labels: nameLabel(HUB_NAME) },
    spec: { selector: nameLabel(HUB_NAME), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  // Agents post their reports and long-poll their assignments here, over HTTPS; people use the
  // API and the dashboard. The probes and /metrics (no token) stay inside the cluster.
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: HUB_NAME, namespace },
    spec: {
      tls: [{ hosts: [inputs.host], secretName: `${HUB_NAME}-tls` }],
      rules: [{
        host: inputs.host,
        http: { paths: INGRESS_PATHS.map((path) => ({ path, pathType: 'Prefix', backend: { service: { name: HUB_NAME, port: { name: 'http' } } } })) },
      }],
    },
  };
  const create = (name: string, files: string) => `kubectl -n ${namespace} create secret generic ${name} ${files}`;
  const secrets: SecretShape[] = [
    {
      name: HUB_NAME, namespace, keys: { secret: 'the hub secret (32+ characters)', 'admin-tokens': 'admin API tokens, one per line', 'read-tokens': 'read-only API tokens, one per line' },
      create: create(HUB_NAME, '--from-file=secret=./hub-secret --from-file=admin-tokens=./admin-tokens --from-file=read-tokens=./read-tokens'),
    },
    {
      name: REDIS_NAME, namespace, keys: { password: inputs.redisUrl ? 'the external Redis\'s password' : 'the Redis password' },
      create: create(REDIS_NAME, inputs.redisUrl ? '--from-file=password=./redis-password' : '--from-literal=password="$(openssl rand -hex 32)"'),
    },
    { name: `${HUB_NAME}-tls`, namespace, type: 'kubernetes.io/tls', keys: { 'tls.crt': 'the hub certificate', 'tls.key': 'its key' }, create: `kubectl -n ${namespace} create secret tls ${HUB_NAME}-tls --cert=hub.crt --key=hub.key` },
  ];
  return { objects: [namespaceObject, ...redis, hubDeployment(inputs), budget, service, ingress], secrets, notes: [] };
}

function hubDeployment(inputs: HubInstallInputs): V1Deployment {
  const redisUrl = inputs.redisUrl ?? `redis://${REDIS_NAME}.${inputs.namespace}.svc:${REDIS_PORT}`;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: HUB_NAME, namespace: inputs.namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: nameLabel(HUB_NAME) },
      template: {
        metadata: { labels: nameLabel(HUB_NAME) },
        spec: {
          securityContext: RESTRICTED_POD,
          containers: [{
            name: 'hub', image: inputs.image,
            command: [...HUB_COMMAND],
            args: [
              'hub', `--redis-url=${redisUrl}`, `--listen=0.0.0.0:${LISTEN_PORT}`, '--secret-file=/etc/netfleet/secret',
              '--admin-tokens-file=/etc/netfleet/admin-tokens', '--read-tokens-file=/etc/netfleet/read-tokens',
            ],
            env: [{ name: 'NETFLEET_HUB_REDIS_PASSWORD_FILE', value: '/etc/netfleet/redis/password' }],
            ...httpListener(LISTEN_PORT),
            resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '2Gi' } },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: [{ name: 'config', mountPath: '/etc/netfleet', readOnly: true }, { name: 'redis', mountPath: '/etc/netfleet/redis', readOnly: true }],
          }],
          volumes: [
            { name: 'config', secret: { secretName: HUB_NAME, defaultMode: 0o400 } },
            { name: 'redis', secret: { secretName: REDIS_NAME, defaultMode: 0o400 } },
          ],
        },
      },
    },
  };
}
