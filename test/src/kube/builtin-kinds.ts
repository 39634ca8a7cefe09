/**
 * The built-in kinds netfleet touches (its own agent and hub manifests included:
 * ServiceAccount, RBAC, Deployment, StatefulSet, PodDisruptionBudget, Ingress), with schemas
 * covering what it writes (list types and map keys as kube-apiserver's OpenAPI declares
 * them, so server-side apply merges alike) and the server-side defaulting kube-apiserver
 * does for them.
 */
import { fieldErrors, type FieldError } from './status.js';
import { isObject, metadataOf, objectAt, type JsonObject } from './json.js';
import { objectSchema, type Schema } from './schema.js';
import type { ResourceType } from './resource-type.js';
import { CRD_SCHEMA, establishCrd, pruneUndeclaredSchemaKeys, validateCrd } from './crd.js';
import { NAMESPACE_FINALIZER } from './deletion.js';

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const intOrString: Schema = { 'x-kubernetes-int-or-string': true };
const anything: Schema = { 'x-kubernetes-preserve-unknown-fields': true };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const atomicList = (items: Schema): Schema => ({ type: 'array', items });
const mapList = (items: Schema, keys: string[]): Schema => ({
  type: 'array', items, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys,
});

const labelSelector = obj({
  matchLabels: stringMap,
  matchExpressions: atomicList(obj({ key: str, operator: str, values: atomicList(str) }, { required: ['key', 'operator'] })),
}, { 'x-kubernetes-map-type': 'atomic' });

const protocol: Schema = { type: 'string', enum: ['TCP', 'UDP', 'SCTP'], default: 'TCP' };

const servicePort = obj({
  name: str, protocol, appProtocol: str, port: { type: 'integer', minimum: 1, maximum: 65535 },
  targetPort: intOrString, nodePort: int,
}, { required: ['port'] });

const serviceSchema = obj({
  spec: obj({
    type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'], default: 'ClusterIP' },
    ports: mapList(servicePort, ['port', 'protocol']),
    selector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
    clusterIP: str, clusterIPs: atomicList(str), externalIPs: atomicList(str), externalName: str,
    loadBalancerIP: str, loadBalancerClass: str, loadBalancerSourceRanges: atomicList(str),
    externalTrafficPolicy: { type: 'string', enum: ['Cluster', 'Local'] },
    internalTrafficPolicy: { type: 'string', enum: ['Cluster', 'Local'] },
    sessionAffinity: { type: 'string', enum: ['None', 'ClientIP'], default: 'None' },
    sessionAffinityConfig: anything, ipFamilies: atomicList(str), ipFamilyPolicy: str,
    allocateLoadBalancerNodePorts: bool, publishNotReadyAddresses: bool, healthCheckNodePort: int,
  }),
  status: obj({ loadBalancer: obj({ ingress: atomicList(anything) }), conditions: mapList(anything, ['type']) }),
});

const networkPolicyPeer = obj({ podSelector: labelSelector, namespaceSelector: labelSelector, ipBlock: obj({ cidr: str, except: atomicList(str) }, { required: ['cidr'] }) });
const networkPolicyPort = obj({ protocol, port: intOrString, endPort: int });

const networkPolicySchema = obj({
  spec: obj({
    podSelector: labelSelector,
    policyTypes: atomicList({ type: 'string', enum: ['Ingress', 'Egress'] }),
    ingress: atomicList(obj({ from: atomicList(networkPolicyPeer), ports: atomicList(networkPolicyPort) })),
    egress: atomicList(obj({ to: atomicList(networkPolicyPeer), ports: atomicList(networkPolicyPort) })),
  }, { required: ['podSelector'] }),
});

const leaseSchema = obj({
  spec: obj({
    holderIdentity: str, leaseDurationSeconds: int, acquireTime: str, renewTime: str, leaseTransitions: int,
    strategy: str, preferredHolder: str,
  }),
});

/** Quantities (`50m`, `160Mi`) are int-or-string in kube-apiserver's OpenAPI. */
const resourceList: Schema = { type: 'object', additionalProperties: intOrString };
const seccompProfile = obj({ type: { type: 'string', enum: ['RuntimeDefault', 'Unconfined', 'Localhost'] }, localhostProfile: str }, { required: ['type'] });
const probe = obj({
  httpGet: obj({ path: str, port: intOrString, host: str, scheme: { type: 'string', enum: ['HTTP', 'HTTPS'], default: 'HTTP' }, httpHeaders: atomicList(obj({ name: str, value: str })) }, { required: ['port'] }),
  tcpSocket: obj({ port: intOrString, host: str }, { required: ['port'] }),
  exec: obj({ command: atomicList(str) }),
  initialDelaySeconds: int, periodSeconds: { type: 'integer', default: 10 }, timeoutSeconds: { type: 'integer', default: 1 },
  successThreshold: { type: 'integer', default: 1 }, failureThreshold: { type: 'integer', default: 3 }, terminationGracePeriodSeconds: int,
});
const keyRef = obj({ name: str, key: str, optional: bool }, { required: ['key'] });
const container = obj({
  name: str, image: str, imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] }, command: atomicList(str), args: atomicList(str), workingDir: str,
  env: mapList(obj({
    name: str, value: str,
    valueFrom: obj({ fieldRef: obj({ fieldPath: str, apiVersion: str }, { required: ['fieldPath'] }), secretKeyRef: keyRef, configMapKeyRef: keyRef, resourceFieldRef: anything }),
  }, { required: ['name'] }), ['name']),
  ports: mapList(obj({ name: str, containerPort: { type: 'integer', minimum: 1, maximum: 65535 }, protocol, hostPort: int, hostIP: str }, { required: ['containerPort'] }), ['containerPort', 'protocol']),
  livenessProbe: probe, readinessProbe: probe, startupProbe: probe,
  resources: obj({ requests: resourceList, limits: resourceList }),
  securityContext: obj({
    allowPrivilegeEscalation: bool, readOnlyRootFilesystem: bool, privileged: bool, runAsNonRoot: bool, runAsUser: int, runAsGroup: int,
    capabilities: obj({ add: atomicList(str), drop: atomicList(str) }), seccompProfile,
  }),
  volumeMounts: mapList(obj({ name: str, mountPath: str, readOnly: bool, subPath: str }, { required: ['name', 'mountPath'] }), ['mountPath']),
  terminationMessagePath: { type: 'string', default: '/dev/termination-log' },
  terminationMessagePolicy: { type: 'string', enum: ['File', 'FallbackToLogsOnError'], default: 'File' },
}, { required: ['name'] });
const volume = obj({
  name: str,
  emptyDir: obj({ medium: str, sizeLimit: intOrString }),
  secret: obj({ secretName: str, defaultMode: { type: 'integer', default: 420 }, optional: bool, items: atomicList(obj({ key: str, path: str, mode: int })) }),
  configMap: obj({ name: str, defaultMode: { type: 'integer', default: 420 }, optional: bool, items: atomicList(obj({ key: str, path: str, mode: int })) }),
}, { required: ['name'] });
const podSpec = obj({
  containers: mapList(container, ['name']), initContainers: mapList(container, ['name']), volumes: mapList(volume, ['name']),
  serviceAccountName: str, automountServiceAccountToken: bool, nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
  tolerations: atomicList(anything), affinity: anything, priorityClassName: str, imagePullSecrets: atomicList(obj({ name: str })),
  securityContext: obj({ runAsNonRoot: bool, runAsUser: int, runAsGroup: int, fsGroup: int, supplementalGroups: atomicList(int), seccompProfile }),
  restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never'], default: 'Always' },
  dnsPolicy: { type: 'string', default: 'ClusterFirst' }, schedulerName: { type: 'string', default: 'default-scheduler' },
  terminationGracePeriodSeconds: { type: 'integer', default: 30 },
}, { required: ['containers'] });

const podTemplate = obj({ metadata: obj({ labels: stringMap, annotations: stringMap, name: str }), spec: podSpec });

const deploymentSchema = obj({
  spec: obj({
    replicas: { type: 'integer', minimum: 0, default: 1 },
    selector: labelSelector,
    template: podTemplate,
    strategy: obj({ type: { type: 'string', enum: ['Recreate', 'RollingUpdate'] }, rollingUpdate: obj({ maxUnavailable: intOrString, maxSurge: intOrString }) }),
    minReadySeconds: int, revisionHistoryLimit: { type: 'integer', default: 10 }, progressDeadlineSeconds: { type: 'integer', default: 600 }, paused: bool,
  }, { required: ['selector', 'template'] }),
  status: anything,
});

const persistentVolumeClaim = obj({
  metadata: obj({ name: str, labels: stringMap, annotations: stringMap }),
  spec: obj({
    accessModes: atomicList({ type: 'string', enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] }),
    resources: obj({ requests: resourceList, limits: resourceList }), storageClassName: str,
    volumeMode: { type: 'string', enum: ['Filesystem', 'Block'], default: 'Filesystem' },
  }),
});

const statefulSetSchema = obj({
  spec: obj({
    serviceName: str, replicas: { type: 'integer', minimum: 0, default: 1 }, selector: labelSelector, template: podTemplate,
    volumeClaimTemplates: atomicList(persistentVolumeClaim),
    podManagementPolicy: { type: 'string', enum: ['OrderedReady', 'Parallel'], default: 'OrderedReady' },
    updateStrategy: obj({ type: { type: 'string', enum: ['RollingUpdate', 'OnDelete'], default: 'RollingUpdate' }, rollingUpdate: obj({ partition: int, maxUnavailable: intOrString }) }),
    revisionHistoryLimit: { type: 'integer', default: 10 }, minReadySeconds: int, persistentVolumeClaimRetentionPolicy: anything,
  }, { required: ['selector', 'template'] }),
  status: anything,
});

const ingressBackend = obj({ service: obj({ name: str, port: obj({ name: str, number: int }) }, { required: ['name'] }), resource: anything });
const ingressSchema = obj({
  spec: obj({
    ingressClassName: str, defaultBackend: ingressBackend,
    tls: atomicList(obj({ hosts: atomicList(str), secretName: str })),
    rules: atomicList(obj({
      host: str,
      http: obj({
        paths: atomicList(obj({ path: str, pathType: { type: 'string', enum: ['Exact', 'Prefix', 'ImplementationSpecific'] }, backend: ingressBackend }, { required: ['pathType', 'backend'] })),
      }, { required: ['paths'] }),
    })),
  }),
  status: anything,
});

const podDisruptionBudgetSchema = obj({
  spec: obj({
    minAvailable: intOrString, maxUnavailable: intOrString, selector: labelSelector,
    unhealthyPodEvictionPolicy: { type: 'string', enum: ['IfHealthyBudget', 'AlwaysAllow'] },
  }),
  status: anything,
});

const policyRule = obj({ apiGroups: atomicList(str), resources: atomicList(str), verbs: atomicList(str), resourceNames: atomicList(str), nonResourceURLs: atomicList(str) }, { required: ['verbs'] });
const roleSchema = obj({ rules: atomicList(policyRule) });
const clusterRoleSchema = obj({ rules: atomicList(policyRule), aggregationRule: obj({ clusterRoleSelectors: atomicList(labelSelector) }) });
const bindingSchema = obj({
  roleRef: obj({ apiGroup: str, kind: str, name: str }, { required: ['apiGroup', 'kind', 'name'], 'x-kubernetes-map-type': 'atomic' }),
  subjects: atomicList(obj({ kind: str, apiGroup: str, name: str, namespace: str }, { required: ['kind', 'name'] })),
}, { required: ['roleRef'] });
const serviceAccountSchema = obj({ secrets: atomicList(anything), imagePullSecrets: atomicList(obj({ name: str })), automountServiceAccountToken: bool });

const eventSchema: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: {} };

function builtin(fields: Omit<ResourceType, 'listKind' | 'singular' | 'shortNames' | 'categories'> & Partial<ResourceType>): ResourceType {
  return { listKind: `${fields.kind}List`, singular: fields.kind.toLowerCase(), shortNames: [], categories: [], ...fields };
}

let nextClusterIp = 1;
let nextNodePort = 30000;

/** Cluster IPs, node ports and the policy fields kube-apiserver fills in for a Service. */
function prepareService(service: JsonObject, previous: JsonObject | undefined): void {
  const spec = objectAt(service, 'spec');
  const before = previous && isObject(previous.spec) ? previous.spec : {};
  if (spec.type === 'ExternalName') return;
  if (!spec.clusterIP) {
    spec.clusterIP = typeof before.clusterIP === 'string' ? before.clusterIP : `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp % 250) + 1}`;
    if (!before.clusterIP) nextClusterIp += 1;
  }
  spec.clusterIPs ??= [spec.clusterIP];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  spec.internalTrafficPolicy ??= 'Cluster';
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (external) spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  const previousPorts = Array.isArray(before.ports) ? before.ports.filter(isObject) : [];
  for (const port of Array.isArray(spec.ports) ? spec.ports.filter(isObject) : []) {
    port.targetPort ??= port.port;
    if (external && port.nodePort === undefined) {
      const kept = previousPorts.find((old) => old.port === port.port && old.protocol === port.protocol)?.nodePort;
      port.nodePort = kept ?? nextNodePort++;
    }
  }
  if (spec.type === 'LoadBalancer') objectAt(objectAt(service, 'status'), 'loadBalancer');
}

function prepareNetworkPolicy(policy: JsonObject): void {
  const spec = objectAt(policy, 'spec');
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** `stringData` is write-only: kube-apiserver merges it into `data` (base64) and drops it. */
function prepareSecret(secret: JsonObject): void {
  secret.type ??= 'Opaque';
  if (isObject(secret.stringData)) {
    const data = objectAt(secret, 'data');
    for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
  }
  delete secret.stringData;
}

function prepareNamespace(namespace: JsonObject, previous: JsonObject | undefined): void {
  const metadata = metadataOf(namespace);
  const labels = isObject(metadata.labels) ? metadata.labels : (metadata.labels = {});
  labels['kubernetes.io/metadata.name'] = metadata.name;
  const spec = objectAt(namespace, 'spec');
  if (previous) {
    // Only the namespace controller (through /finalize) changes spec.finalizers.
    const kept = isObject(previous.spec) ? previous.spec.finalizers : undefined;
    if (kept === undefined) delete spec.finalizers;
    else spec.finalizers = structuredClone(kept);
  } else {
    const requested = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    spec.finalizers = requested.includes(NAMESPACE_FINALIZER) ? requested : [...requested, NAMESPACE_FINALIZER];
  }
  const status = objectAt(namespace, 'status');
  status.phase = metadata.deletionTimestamp ? 'Terminating' : 'Active';
}

function immutableData(object: JsonObject, previous: JsonObject | undefined): FieldError[] {
  if (!previous || previous.immutable !== true) return [];
  const changed = JSON.stringify(previous.data ?? {}) !== JSON.stringify(object.data ?? {})
    || JSON.stringify(previous.binaryData ?? {}) !== JSON.stringify(object.binaryData ?? {});
  const errors: FieldError[] = [];
  if (changed) errors.push(fieldErrors.forbidden('data', 'field is immutable when `immutable` is set'));
  if (object.immutable !== true) errors.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  return errors;
}

/**
 * kube-apiserver's Deployment defaulting (apps/v1 SetDefaults_Deployment): RollingUpdate
 * with 25% / 25% when no strategy is given.
 */
function prepareDeployment(deployment: JsonObject): void {
  const strategy = objectAt(objectAt(deployment, 'spec'), 'strategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = objectAt(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= '25%';
    rolling.maxSurge ??= '25%';
  }
}

/** ValidateDeploymentSpec / ValidateStatefulSetSpec: the selector must be set and select the template's labels. */
function validateSelector(spec: JsonObject, kind: string): FieldError[] {
  const selector = isObject(spec.selector) ? spec.selector : {};
  const matchLabels = isObject(selector.matchLabels) ? selector.matchLabels : {};
  const template = isObject(spec.template) ? spec.template : {};
  const labels = isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : {};
  const errors: FieldError[] = [];
  if (Object.keys(matchLabels).length === 0 && !Array.isArray(selector.matchExpressions)) {
    errors.push(fieldErrors.invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
  }
  if (Object.entries(matchLabels).some(([key, value]) => labels[key] !== value)) {
    errors.push(fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  return errors;
}

/** ValidateDeploymentSpec: the selector rules, and Recreate takes no rollingUpdate. */
function validateDeployment(deployment: JsonObject): FieldError[] {
  const spec = isObject(deployment.spec) ? deployment.spec : {};
  const errors = validateSelector(spec, 'deployment');
  const strategy = isObject(spec.strategy) ? spec.strategy : {};
  if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
    errors.push(fieldErrors.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
  }
  return errors;
}

/** ValidatePodDisruptionBudgetSpec: minAvailable and maxUnavailable exclude each other. */
function validatePodDisruptionBudget(budget: JsonObject): FieldError[] {
  const spec = isObject(budget.spec) ? budget.spec : {};
  return spec.minAvailable !== undefined && spec.maxUnavailable !== undefined
    ? [fieldErrors.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set')]
    : [];
}

/**
 * ValidateRoleBinding / ValidateClusterRoleBinding: a ClusterRoleBinding refers to a
 * ClusterRole, a RoleBinding to a Role or ClusterRole, and roleRef never changes.
 */
function bindingValidator(kinds: string[]) {
  return (binding: JsonObject, previous: JsonObject | undefined): FieldError[] => {
    const roleRef = isObject(binding.roleRef) ? binding.roleRef : {};
    const errors: FieldError[] = [];
    if (roleRef.apiGroup !== 'rbac.authorization.k8s.io') errors.push(fieldErrors.notSupported('roleRef.apiGroup', roleRef.apiGroup, ['rbac.authorization.k8s.io']));
    if (!kinds.includes(String(roleRef.kind))) errors.push(fieldErrors.notSupported('roleRef.kind', roleRef.kind, kinds));
    if (previous && JSON.stringify(previous.roleRef) !== JSON.stringify(binding.roleRef)) errors.push(fieldErrors.invalid('roleRef', binding.roleRef, 'cannot change roleRef'));
    return errors;
  };
}

/** Every built-in resource the server serves. */
export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin({
      group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, nameRule: 'label',
      schema: objectSchema(obj({ spec: obj({ finalizers: atomicList(str) }), status: obj({ phase: str, conditions: atomicList(anything) }) })),
      statusSubresource: true, tracksGeneration: false, prepare: prepareNamespace,
    }),
    builtin({
      group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'], namespaced: true,
      schema: objectSchema(obj({ data: stringMap, binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, immutable: bool })),
      statusSubresource: false, tracksGeneration: false, validate: immutableData,
    }),
    builtin({
      group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true,
      schema: objectSchema(obj({ data: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, stringData: stringMap, type: str, immutable: bool })),
      statusSubresource: false, tracksGeneration: false, prepare: prepareSecret, validate: immutableData,
    }),
    builtin({
      group: '', version: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'], namespaced: true, categories: ['all'], nameRule: 'dns1035',
      schema: objectSchema(serviceSchema), statusSubresource: true, tracksGeneration: false, prepare: prepareService,
    }),
    builtin({
      group: '', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true,
      schema: objectSchema(eventSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'], namespaced: true,
      schema: objectSchema(eventSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'], namespaced: true,
      schema: objectSchema(serviceAccountSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], namespaced: true, categories: ['all'],
      schema: objectSchema(deploymentSchema), statusSubresource: true, tracksGeneration: true, prepare: prepareDeployment, validate: validateDeployment,
    }),
    builtin({
      group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], namespaced: true, categories: ['all'],
      schema: objectSchema(statefulSetSchema), statusSubresource: true, tracksGeneration: true,
      validate: (statefulSet) => validateSelector(isObject(statefulSet.spec) ? statefulSet.spec : {}, 'statefulset'),
    }),
    builtin({
      group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], namespaced: true,
      schema: objectSchema(ingressSchema), statusSubresource: true, tracksGeneration: true,
    }),
    builtin({
      group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], namespaced: true,
      schema: objectSchema(podDisruptionBudgetSchema), statusSubresource: true, tracksGeneration: true, validate: validatePodDisruptionBudget,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true,
      schema: objectSchema(roleSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false,
      schema: objectSchema(clusterRoleSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true,
      schema: objectSchema(bindingSchema), statusSubresource: false, tracksGeneration: false, validate: bindingValidator(['Role', 'ClusterRole']),
    }),
    builtin({
      group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false,
      schema: objectSchema(bindingSchema), statusSubresource: false, tracksGeneration: false, validate: bindingValidator(['ClusterRole']),
    }),
    builtin({
      group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], namespaced: true,
      schema: objectSchema(networkPolicySchema), statusSubresource: false, tracksGeneration: true, prepare: prepareNetworkPolicy,
    }),
    builtin({
      group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true,
      schema: objectSchema(leaseSchema), statusSubresource: false, tracksGeneration: false,
    }),
    builtin({
      group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions',
      shortNames: ['crd', 'crds'], namespaced: false, categories: ['api-extensions'],
      schema: objectSchema(CRD_SCHEMA), statusSubresource: true, tracksGeneration: true,
      prepare: establishCrd, pruneUndeclared: pruneUndeclaredSchemaKeys, validate: validateCrd,
    }),
  ];
}
