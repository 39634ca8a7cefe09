import type { V1Container, V1PodSecurityContext } from '@kubernetes/client-node';

/** netfleet's image runs as this non-root user (deploy/Containerfile: USER 65532). */
const NETFLEET_UID = 65532;

/** The label every netfleet workload selects its pods by. */
export const nameLabel = (name: string) => ({ 'app.kubernetes.io/name': name });

/** Every netfleet pod: non-root, seccomp RuntimeDefault; mounted Secrets readable by its group. */
export const RESTRICTED_POD: V1PodSecurityContext = {
  runAsNonRoot: true, runAsUser: NETFLEET_UID, fsGroup: NETFLEET_UID, seccompProfile: { type: 'RuntimeDefault' },
};

/** Every netfleet container: no privilege escalation, read-only root file system, no capabilities. */
export const RESTRICTED_CONTAINER: V1Container['securityContext'] = {
  allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
};

/** The `http` port of netfleet's listener and its /healthz (liveness) and /readyz (readiness) probes. */
export function httpListener(port: number): Pick<V1Container, 'ports' | 'livenessProbe' | 'readinessProbe'> {
  return {
    ports: [{ name: 'http', containerPort: port }],
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 20 },
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 10 },
  };
}
