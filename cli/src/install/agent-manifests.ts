import type {
  KubernetesObject, V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1Namespace, V1PolicyRule, V1Role, V1RoleBinding,
  V1ServiceAccount, RbacV1Subject as V1Subject, V1Volume, V1VolumeMount,
} from '@kubernetes/client-node';
import { RESTRICTED_CONTAINER, RESTRICTED_POD, httpListener } from './pod.js';
import { manifestKindRules, ownNamespaceRules, renderedKindRules, type ResourceRef } from './rbac.js';

/** What `netfleet install agent` is told about the cluster it installs into. */
export interface AgentInstallInputs {
  cluster: string;
  /** The fleet repository URL the agent pulls. */
  repo: string;
  branch: string;
  /** The hub API; unset runs the agent alone (it follows the branch). */
  hubUrl?: string;
  /** How the agent authenticates to the git server: a token, an SSH deploy key, or not at all. */
  gitAuth: 'token' | 'ssh' | 'none';
  namespace: string;
  image: string;
  /** Kinds of the fleet's plain manifests, beyond those the renderer emits. */
  manifestResources: ResourceRef[];
}

/** A Secret the agent mounts: its name, the keys it must hold, and how to create it. */
export interface SecretShape {
  name: string;
  namespace: string;
  /** @defaultValue 'Opaque' */
  type?: string;
  keys: Record<string, string>;
  create: string;
}

/** The agent's manifests: the objects to apply, the Secrets to create by hand, and why there is no PodDisruptionBudget. */
export interface AgentManifests {
  objects: KubernetesObject[];
  secrets: SecretShape[];
  notes: string[];
}

export const AGENT_NAME = 'netfleet-agent';
/** The Secret holding the cluster's hub credentials (key credentials.json), mounted by the agent. */
export const HUB_CREDENTIALS_SECRET = 'netfleet-hub';
export const DEFAULT_IMAGE = 'netfleet:0.1.0';
/** The agent's `--listen` port: /healthz, /readyz and /metrics. */
/**
 * The agent container's command: node with flags for a small agent (docs/agent.md#memory),
 * which node does not take from NODE_OPTIONS. deploy/agent/agent.yaml runs the same
 * (cli/test/deploy-hub.test.ts holds them equal).
 */
export const AGENT_COMMAND: readonly string[] = ['node', '--max-semi-space-size=1', '--no-opt', '--no-sparkplug', '--optimize-for-size', '--no-node-snapshot', '/opt/netfleet/dist/netfleet.mjs'];
const LISTEN_PORT = 8080;
const LABELS = { 'app.kubernetes.io/name': AGENT_NAME };
const GIT_DIR = '/etc/netfleet/git';
const HUB_DIR = '/etc/netfleet/hub';
const CACHE_DIR = '/var/cache/netfleet';

const NO_PDB = 'No PodDisruptionBudget: the agent runs one replica (two would apply the same objects twice), '
  + 'and a budget of one replica would block node drains forever; a drained agent only pauses syncing until it is rescheduled.';

/** The agent's manifests for one cluster, built from `inputs` alone (nothing is read from the cluster). */
export function agentManifests(inputs: AgentInstallInputs): AgentManifests {
  const { namespace } = inputs;
  const subject: V1Subject = { kind: 'ServiceAccount', name: AGENT_NAME, namespace };
  // Labelled, so the installer owns a field of it: an apply owning none keeps no managedFields entry, and the next apply would change it.
  const namespaceObject: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'netfleet' } } };
  const serviceAccount: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: AGENT_NAME, namespace } };
  const objects: KubernetesObject[] = [
    namespaceObject, serviceAccount,
    clusterRole(AGENT_NAME, renderedKindRules()), clusterRoleBinding(AGENT_NAME, subject),
  ];
  const manifestRules = manifestKindRules(inputs.manifestResources);
  // Plain manifests can hold any kind: their grants are a ClusterRole of their own, easy to review.
  if (manifestRules.length > 0) objects.push(clusterRole(`${AGENT_NAME}-manifests`, manifestRules), clusterRoleBinding(`${AGENT_NAME}-manifests`, subject));
  const role: V1Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: AGENT_NAME, namespace }, rules: ownNamespaceRules() };
  const roleBinding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: AGENT_NAME, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: AGENT_NAME }, subjects: [subject],
  };
  objects.push(role, roleBinding, deployment(inputs));
  return { objects, secrets: secretShapes(inputs), notes: [NO_PDB] };
}

function clusterRole(name: string, rules: V1PolicyRule[]): V1ClusterRole {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
}

function clusterRoleBinding(name: string, subject: V1Subject): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject],
  };
}

/** The Secrets the Deployment mounts; their values never pass through netfleet's output. */
export function secretShapes(inputs: AgentInstallInputs): SecretShape[] {
  const create = (name: string, files: string) => `kubectl -n ${inputs.namespace} create secret generic ${name} ${files}`;
  const shapes: SecretShape[] = [];
  if (inputs.gitAuth === 'token') {
    shapes.push({ name: 'netfleet-git', namespace: inputs.namespace, keys: { token: 'the git access token' }, create: create('netfleet-git', '--from-file=token=./git-token') });
  } else if (inputs.gitAuth === 'ssh') {
    shapes.push({
      name: 'netfleet-git', namespace: inputs.namespace, keys: { 'ssh-key': 'the SSH deploy key (private)', known_hosts: 'the git server\'s host key line' },
      create: create('netfleet-git', '--from-file=ssh-key=./deploy-key --from-file=known_hosts=./known_hosts'),
    });
  }
  if (inputs.hubUrl) {
    shapes.push({
      name: HUB_CREDENTIALS_SECRET, namespace: inputs.namespace, keys: { 'credentials.json': 'the credentials `netfleet register` wrote for this cluster' },
      create: create(HUB_CREDENTIALS_SECRET, '--from-file=credentials.json'),
    });
  }
  return shapes;
}

function agentArgs(inputs: AgentInstallInputs): string[] {
  const args = ['agent', '--in-cluster', `--repo=${inputs.repo}`, `--branch=${inputs.branch}`, '--cluster=$(NETFLEET_CLUSTER)', `--cache-dir=${CACHE_DIR}`];
  if (inputs.gitAuth === 'token') args.push(`--git-token-file=${GIT_DIR}/token`);
  if (inputs.gitAuth === 'ssh') args.push(`--git-ssh-key-file=${GIT_DIR}/ssh-key`, `--git-ssh-known-hosts-file=${GIT_DIR}/known_hosts`);
  if (inputs.hubUrl) args.push(`--hub-url=${inputs.hubUrl}`, `--hub-credentials=${HUB_DIR}/credentials.json`);
  args.push(`--spool-dir=${CACHE_DIR}/spool`);
  return args;
}

function deployment(inputs: AgentInstallInputs): V1Deployment {
  const mounts: V1VolumeMount[] = [{ name: 'cache', mountPath: CACHE_DIR }];
  // The git cache and the report spool survive container restarts within the pod.
  const volumes: V1Volume[] = [{ name: 'cache', emptyDir: {} }];
  for (const shape of secretShapes(inputs)) {
    const volume = shape.name.replace(/^netfleet-/, '');
    mounts.push({ name: volume, mountPath: volume === 'git' ? GIT_DIR : HUB_DIR, readOnly: true });
    volumes.push({ name: volume, secret: { secretName: shape.name, defaultMode: 0o400 } });
  }
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: AGENT_NAME, namespace: inputs.namespace, labels: { ...LABELS } },
    spec: {
      // One agent per cluster; Recreate so an update never runs two at once.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { ...LABELS } },
      template: {
        metadata: { labels: { ...LABELS } },
        spec: {
          serviceAccountName: AGENT_NAME,
          securityContext: RESTRICTED_POD,
          containers: [{
            name: 'agent',
            image: inputs.image,
            command: [...AGENT_COMMAND],
            args: agentArgs(inputs),
            env: [
              { name: 'NETFLEET_CLUSTER', value: inputs.cluster },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            ],
            ...httpListener(LISTEN_PORT),
            resources: { requests: { cpu: '50m', memory: '160Mi' }, limits: { memory: '256Mi' } },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: mounts,
          }],
          volumes,
        },
      },
    },
  };
}
