import type { KubernetesObject, V1NetworkPolicy, V1NetworkPolicyIngressRule, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { nameLabel } from './pod.js';

export const REDIS_NAME = 'hub-redis';
export const REDIS_PORT = 6379;
export const DEFAULT_REDIS_IMAGE = 'docker.io/library/redis:7.2';
/** The official Redis image's `redis` user: running as it from the start needs no root entrypoint. */
const REDIS_UID = 999;

/**
 * Redis beside the hub (deploy/redis): AOF with fsync always (no accepted report lost across a
 * crash), noeviction under a memory bound (a full Redis refuses writes instead of dropping
 * queued reports), a password from the Secret hub-redis, reachable from `clientName`'s pods only.
 */
export function redisManifests(inputs: { namespace: string; image: string; clientName: string }): KubernetesObject[] {
  const { namespace } = inputs;
  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: REDIS_NAME, namespace },
    spec: {
      serviceName: REDIS_NAME, replicas: 1, selector: { matchLabels: nameLabel(REDIS_NAME) },
      template: {
        metadata: { labels: nameLabel(REDIS_NAME) },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: REDIS_UID, fsGroup: REDIS_UID, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'redis', image: inputs.image,
            // Kubernetes expands $(REDIS_PASSWORD); Redis rewrites its process title, so the password does not show in the process list.
            args: ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory', '512mb', '--maxmemory-policy', 'noeviction', '--requirepass', '$(REDIS_PASSWORD)'],
            env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: REDIS_NAME, key: 'password' } } }],
            ports: [{ name: 'redis', containerPort: REDIS_PORT }],
            livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 20 },
            // redis-cli reads the password from REDISCLI_AUTH, so it stays off the command line.
            readinessProbe: { exec: { command: ['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'] }, periodSeconds: 10 },
            // The limit leaves room above maxmemory for the AOF rewrite's copy-on-write pages.
            resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
    },
  };
  const service: V1Service = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: REDIS_NAME, namespace },
    spec: { selector: nameLabel(REDIS_NAME), ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis' }] },
  };
  // Only hub replicas may reach Redis: no agent, no other pod of the cluster.
  const policy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: REDIS_NAME, namespace },
    spec: {
      podSelector: { matchLabels: nameLabel(REDIS_NAME) }, policyTypes: ['Ingress'],
      // The client's model calls `from` `_from` (a reserved word in its generator); the wire name is `from`.
      ingress: [{ from: [{ podSelector: { matchLabels: nameLabel(inputs.clientName) } }], ports: [{ protocol: 'TCP', port: REDIS_PORT }] } as unknown as V1NetworkPolicyIngressRule],
    },
  };
  return [statefulSet, service, policy];
}
