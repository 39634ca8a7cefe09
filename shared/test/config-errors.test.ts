import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, loadFleet, sortProblems, validateRepository } from '../src/index.js';
import { BASE_FLEET, MemoryRepo, type MemoryFile } from './support/memory-repo.js';

/** Every problem `netfleet validate` reports for the base fleet plus `files`, formatted, in file order. */
async function problemsOf(files: Record<string, MemoryFile>): Promise<string[]> {
  const { problems } = await validateRepository(new MemoryRepo({ ...BASE_FLEET, ...files }));
  return sortProblems(problems).map(formatProblem);
}

const doc = (kind: string, name: string, body: string) => `apiVersion: netfleet.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${body}`;
const cluster = (name: string, region: string, domain: string, clusterDomain = `${name}.cluster`) =>
  doc('Cluster', name, `spec:\n  region: ${region}\n  publicDomain: ${domain}\n  clusterDomain: ${clusterDomain}\n`);
const ingress = (body: string) => doc('IngressProfile', 'public', `targets:\n  all: true\nspec:\n${body}`);
const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
const manifestSet = (name: string, path: string) => doc('ManifestSet', name, `targets:\n  all: true\nspec:\n  path: ${path}\n`);

export const CASES: [string, Record<string, MemoryFile>, string[]][] = [
  ['an unclosed flow mapping', { 'network/x.yaml': 'apiVersion: netfleet.io/v1alpha1\nkind: Egress\nspec: {region: eu\n' },
    [
      'network/x.yaml:4:1 CONFIG_YAML_SYNTAX: found invalid YAML: flow map in block collection must be sufficiently indented and end with a }, expected the items of one mapping or list indented by the same number of spaces, and every "{" or "[" closed',
    ]],
  ['a tab used for indentation', { 'network/x.yaml': 'apiVersion: netfleet.io/v1alpha1\nkind: Egress\nmetadata:\n\tname: x\n' },
    [
      'network/x.yaml:4:1 CONFIG_YAML_SYNTAX: found invalid YAML: tabs are not allowed as indentation, expected spaces for indentation',
    ]],
  ['a key written twice', { 'network/x.yaml': 'apiVersion: netfleet.io/v1alpha1\nkind: Egress\nkind: Egress\n' },
    [
      'network/x.yaml:3:1 CONFIG_YAML_SYNTAX: found invalid YAML: map keys must be unique, expected each key once in a mapping',
    ]],
  ['an alias bomb', { 'network/bomb.yaml': aliasBomb },
    [
      'network/bomb.yaml:1:1 CONFIG_YAML_ALIAS_LIMIT: found aliases that expand beyond 100 nodes, expected a document without alias explosions',
    ]],
  ['a 50 MB file', { 'network/huge.yaml': { unreadableOfSize: 50 * 1024 * 1024 } },
    [
      'network/huge.yaml:1:1 CONFIG_FILE_TOO_LARGE: found 52428800 bytes, expected at most 4194304 bytes',
    ]],
  ['bytes that are not UTF-8', { 'network/latin1.yaml': new Uint8Array([...new TextEncoder().encode('a: 1\nname: caf'), 0xe9, 0x0a]) },
    [
      'network/latin1.yaml:2:10 CONFIG_NOT_UTF8: found byte 0xe9 at offset 14, expected UTF-8 text',
    ]],
  ['a symlink leading out of the repository', { 'network/link.yaml': { symlink: '../../etc/passwd' } },
    [
      'network/link.yaml:1:1 CONFIG_SYMLINK_OUTSIDE: found a link to "../../etc/passwd", expected a link to a file inside the repository',
    ]],
  ['an absolute symlink', { 'network/link.yaml': { symlink: '/etc/netfleet.yaml' } },
    [
      'network/link.yaml:1:1 CONFIG_SYMLINK_OUTSIDE: found a link to "/etc/netfleet.yaml", expected a link to a file inside the repository',
    ]],
  ['a symlink to nothing', { 'network/link.yaml': { symlink: 'missing.yaml' } },
    [
      'network/link.yaml:1:1 CONFIG_SYMLINK_BROKEN: found a link to "missing.yaml", which is not a file, expected a link to a file inside the repository',
    ]],
  ['a symlink loop', { 'network/a.yaml': { symlink: 'b.yaml' }, 'network/b.yaml': { symlink: 'a.yaml' } }, [
      'network/a.yaml:1:1 CONFIG_SYMLINK_BROKEN: found more than 8 chained links, expected a link that ends at a file',
      'network/b.yaml:1:1 CONFIG_SYMLINK_BROKEN: found more than 8 chained links, expected a link that ends at a file',
    ]],
  ['a document that is a list', { 'network/x.yaml': '- a\n- b\n' },
    [
      'network/x.yaml:1:1 CONFIG_NOT_A_MAPPING: found a list, expected a mapping with apiVersion: netfleet.io/v1alpha1',
    ]],
  ['a plain manifest outside manifests/', { 'network/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
    [
      "network/cm.yaml:1:1 CONFIG_UNKNOWN_API_VERSION apiVersion: found \"v1\", expected \"netfleet.io/v1alpha1\" (plain manifests belong under manifests/)",
    ]],
  ['an unknown kind', { 'network/x.yaml': doc('IngressController', 'x', 'spec: {}\n') },
    [
      "network/x.yaml:2:1 CONFIG_UNKNOWN_KIND kind: found \"IngressController\", expected one of \"Cluster\", \"IngressProfile\", \"Egress\", \"PolicySet\", \"MeshGroup\", \"MeshSettings\", \"DNSSettings\", \"CNISettings\", \"ManifestSet\" or \"RolloutPolicy\"",
    ]],
  ['a document without kind', { 'network/x.yaml': 'apiVersion: netfleet.io/v1alpha1\nmetadata:\n  name: x\n' },
    [
      "network/x.yaml:1:1 CONFIG_MISSING_FIELD kind: found nothing, expected one of \"Cluster\", \"IngressProfile\", \"Egress\", \"PolicySet\", \"MeshGroup\", \"MeshSettings\", \"DNSSettings\", \"CNISettings\", \"ManifestSet\" or \"RolloutPolicy\"",
    ]],
  ['a number where a string belongs', { 'clusters/gamma.yaml': cluster('gamma', '5', 'gamma.example.com') },
    [
      "clusters/gamma.yaml:6:3 CONFIG_WRONG_TYPE spec.region: found number 5, expected a string",
    ]],
  ['a misspelt field', { 'clusters/gamma.yaml': doc('Cluster', 'gamma', 'spec:\n  regoin: eu\n  publicDomain: gamma.example.com\n  clusterDomain: gamma.cluster\n') },
    [
      "clusters/gamma.yaml:6:3 CONFIG_MISSING_FIELD spec.region: found nothing, expected field \"region\"",
      "clusters/gamma.yaml:6:3 CONFIG_UNKNOWN_FIELD spec.regoin: found unknown field \"regoin\", expected one of the fields region, publicDomain, clusterDomain, vars",
    ]],
  ['an unknown top-level field', { 'clusters/gamma.yaml': `${cluster('gamma', 'eu', 'gamma.example.com')}status: {}\n` },
    [
      "clusters/gamma.yaml:9:1 CONFIG_UNKNOWN_FIELD status: found unknown field \"status\", expected one of the fields apiVersion, kind, metadata, spec",
    ]],
  ['a missing required field', { 'clusters/gamma.yaml': doc('Cluster', 'gamma', 'spec:\n  region: eu\n  clusterDomain: gamma.cluster\n') },
    [
      "clusters/gamma.yaml:6:3 CONFIG_MISSING_FIELD spec.publicDomain: found nothing, expected field \"publicDomain\"",
    ]],
  ['a name that is not DNS-1123', { 'clusters/gamma.yaml': cluster('Gamma_1', 'eu', 'gamma.example.com') },
    [
      "clusters/gamma.yaml:4:3 CONFIG_INVALID_VALUE metadata.name: found \"Gamma_1\", expected a DNS-1123 label (lowercase letters, digits and \"-\", at most 63 characters)",
      "clusters/gamma.yaml:8:3 CONFIG_INVALID_VALUE spec.clusterDomain: found \"Gamma_1.cluster\", expected a DNS name such as \"k8s.example.com\"",
    ]],
  ['a label key with a space and a variable name with a dash', { 'clusters/gamma.yaml': doc('Cluster', 'gamma', '  labels:\n    team name: web\nspec:\n  region: eu\n  publicDomain: gamma.example.com\n  clusterDomain: gamma.cluster\n  vars:\n    egress-ip: 10.0.0.9\n') }, [
      'clusters/gamma.yaml:6:5 CONFIG_INVALID_VALUE metadata.labels["team name"]: found key "team name", expected a label key such as "tier" or "example.com/tier"',
      'clusters/gamma.yaml:12:5 CONFIG_INVALID_VALUE spec.vars.egress-ip: found key "egress-ip", expected a variable name (letters, digits, "_")',
    ]],
  ['label keys kube-apiserver refuses: a name over 63 characters, a prefix alone, a value over 63', { 'clusters/gamma.yaml': doc('Cluster', 'gamma', `  labels:\n    ${'n'.repeat(64)}: web\n    example.com/: web\n    tier: ${'v'.repeat(64)}\nspec:\n  region: eu\n  publicDomain: gamma.example.com\n  clusterDomain: gamma.cluster\n`) }, [
      `clusters/gamma.yaml:6:5 CONFIG_INVALID_VALUE metadata.labels.${'n'.repeat(64)}: found key "${'n'.repeat(64)}", expected a label key such as "tier" or "example.com/tier"`,
      'clusters/gamma.yaml:7:5 CONFIG_INVALID_VALUE metadata.labels["example.com/"]: found key "example.com/", expected a label key such as "tier" or "example.com/tier"',
      `clusters/gamma.yaml:8:5 CONFIG_INVALID_VALUE metadata.labels.tier: found "${'v'.repeat(40)}…", expected a label value (letters, digits, "-", "_", ".", at most 63 characters)`,
    ]],
  ['two clusters with one name', { 'clusters/alpha-again.yaml': cluster('alpha', 'eu', 'alpha2.example.com') },
    [
      "clusters/alpha.yaml:4:3 CONFIG_DUPLICATE_NAME metadata.name: found \"alpha\", expected a name not already used by the Cluster in clusters/alpha-again.yaml:4",
    ]],
  ['two clusters with one domain', { 'clusters/gamma.yaml': cluster('gamma', 'eu', 'alpha.example.com') },
    [
      "clusters/gamma.yaml:7:3 CONFIG_DUPLICATE_DOMAIN spec.publicDomain: found \"alpha.example.com\", expected a public domain not already used by cluster alpha (clusters/alpha.yaml:4)",
    ]],
  ['two documents of one kind with one name', { 'network/a.yaml': ingress('  inlet: LoadBalancer\n'), 'network/b.yaml': ingress('  inlet: HostPort\n') },
    [
      "network/b.yaml:4:3 CONFIG_DUPLICATE_NAME metadata.name: found \"public\", expected a name not already used by the IngressProfile in network/a.yaml:4",
    ]],
  ['an empty selector', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets: {}\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:5:1 CONFIG_INVALID_VALUE targets: found 0 fields, expected a selector with at least one of all, names, regions, matchLabels, matchExpressions",
    ]],
  ['an In expression without values', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets:\n  matchExpressions:\n    - key: env\n      operator: In\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:7:7 CONFIG_BAD_SELECTOR targets.matchExpressions[0]: found operator In without values, expected at least one value for In",
    ]],
  ['an Exists expression with values', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets:\n  matchExpressions:\n    - key: env\n      operator: Exists\n      values: [prod]\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:9:7 CONFIG_BAD_SELECTOR targets.matchExpressions[0].values: found 1 values with operator Exists, expected no values for Exists",
    ]],
  ['an unknown operator', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets:\n  matchExpressions:\n    - key: env\n      operator: Equals\n      values: [prod]\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:8:7 CONFIG_INVALID_VALUE targets.matchExpressions[0].operator: found \"Equals\", expected one of \"In\", \"NotIn\", \"Exists\" or \"DoesNotExist\"",
    ]],
  ['a selector naming a missing cluster', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets:\n  names: [alpha, gamma]\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:6:18 CONFIG_UNKNOWN_CLUSTER targets.names[1]: found \"gamma\", expected the name of a cluster in the inventory",
    ]],
  ['a selector naming a missing region', { 'network/x.yaml': doc('IngressProfile', 'x', 'targets:\n  regions: [ap]\nspec:\n  inlet: LoadBalancer\n') },
    [
      "network/x.yaml:6:13 CONFIG_UNKNOWN_REGION targets.regions[0]: found \"ap\", expected a region of the inventory: eu, us",
    ]],
  ['an unknown variable in a document', { 'network/egress.yaml': doc('Egress', 'out', 'targets:\n  all: true\nspec:\n  nodeSelector:\n    role: egress\n  sourceIP:\n    virtualIPAddress:\n      ip: ${vars.vip}\n  policies:\n    - name: all\n      destinationCIDRs: [0.0.0.0/0]\n      selectors:\n        - namespace: shop\n') },
    [
      "network/egress.yaml:12:7 CONFIG_UNKNOWN_VARIABLE [cluster beta] spec.sourceIP.virtualIPAddress.ip: found ${vars.vip}, expected a variable every cluster the document renders for defines (in its Cluster document): cluster.name, cluster.region, cluster.publicDomain, cluster.clusterDomain, cluster.labels.env, vars.vip",
    ]],
  ['an unknown variable in a manifest', { 'platform/sets.yaml': manifestSet('base', 'manifests/base'), 'manifests/base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\n  namespace: default\ndata:\n  zone: ${cluster.labels.zone}\n' },
    [
      "manifests/base/cm.yaml:7:3 CONFIG_UNKNOWN_VARIABLE [2 clusters: alpha, beta] data.zone: found ${cluster.labels.zone}, expected a variable every cluster the document renders for defines (in its Cluster document): cluster.name, cluster.region, cluster.publicDomain, cluster.clusterDomain, cluster.labels.env, vars.vip",
    ]],
  ['a mesh group naming a missing cluster', { 'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: federation\n  members: [alpha, gamma]\n') },
    [
      "mesh/g.yaml:7:20 CONFIG_UNKNOWN_CLUSTER spec.members[1]: found \"gamma\", expected the name of a cluster in the inventory",
    ]],
  ['federation members sharing a clusterDomain', { 'clusters/gamma.yaml': cluster('gamma', 'eu', 'gamma.example.com', 'alpha.cluster'), 'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: federation\n  members: [alpha, gamma]\n') },
    [
      "mesh/g.yaml:7:20 CONFIG_MESH_CLUSTER_DOMAIN spec.members[1]: found clusterDomain \"alpha.cluster\" also used by member alpha, expected federation members with distinct clusterDomains",
    ]],
  ['multicluster members with different clusterDomains', { 'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: multicluster\n  members: [alpha, beta]\n') },
    [
      "mesh/g.yaml:7:20 CONFIG_MESH_CLUSTER_DOMAIN spec.members[1]: found clusterDomain \"beta.cluster\", expected the clusterDomain of alpha, \"alpha.cluster\" (multicluster members share one)",
    ]],
  ['a mesh group listing a member twice', { 'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: federation\n  members: [alpha, beta, alpha]\n') },
    [
      "mesh/g.yaml:7:26 CONFIG_INVALID_VALUE spec.members[2]: found a repeat of item 0, expected each item once",
    ]],
  ['an unknown policy block type', { 'network/p.yaml': doc('PolicySet', 'p', 'targets:\n  all: true\nspec:\n  namespaces: [shop]\n  blocks:\n    - type: denyAll\n') },
    [
      "network/p.yaml:10:7 CONFIG_INVALID_VALUE spec.blocks[0].type: found \"denyAll\", expected one of \"defaultDeny\", \"allowDNS\", \"allowFromIngress\", \"allowToCIDR\", \"allowToFQDN\" or \"clusterwide\"",
    ]],
  ['a mistake inside one policy block', { 'network/p.yaml': doc('PolicySet', 'p', 'targets:\n  all: true\nspec:\n  namespaces: [shop]\n  blocks:\n    - type: allowToCIDR\n      name: db\n      cidrs: [10.0.0.0/33]\n') },
    [
      'network/p.yaml:12:15 CONFIG_INVALID_VALUE spec.blocks[0].cidrs[0]: found "10.0.0.0/33", expected a CIDR such as "10.0.0.0/8" or "fd00::/64" (IPv4 octets 0-255, prefix at most 32 or 128)',
    ]],
  ['namespaced blocks without namespaces', { 'network/p.yaml': doc('PolicySet', 'p', 'targets:\n  all: true\nspec:\n  blocks:\n    - type: defaultDeny\n') },
    [
      'network/p.yaml:8:3 CONFIG_MISSING_FIELD [2 clusters: alpha, beta] spec.namespaces: found nothing, expected field "namespaces" for the namespaced blocks',
    ]],
  ['an unknown inlet', { 'network/i.yaml': ingress('  inlet: NodePort\n') },
    [
      "network/i.yaml:8:3 CONFIG_INVALID_VALUE spec.inlet: found \"NodePort\", expected one of \"LoadBalancer\", \"LoadBalancerWithProxyProtocol\", \"LoadBalancerWithSSLPassthrough\", \"HostPort\", \"HostPortWithProxyProtocol\", \"HostPortWithSSLPassthrough\" or \"HostWithFailover\"",
    ]],
  ['load balancer settings on a host-port inlet', { 'network/i.yaml': ingress('  inlet: HostPort\n  loadBalancer:\n    sourceRanges: [10.0.0.0/8]\n') },
    [
      'network/i.yaml:9:3 CONFIG_INVALID_VALUE [2 clusters: alpha, beta] spec.loadBalancer: found loadBalancer settings with inlet HostPort, expected loadBalancer only with a LoadBalancer* inlet',
    ]],
  ['an override that breaks a type', { 'network/i.yaml': `${ingress('  inlet: LoadBalancer\n  replicas:\n    min: 1\n    max: 2\n')}overrides:\n  - targets:\n      names: [beta]\n    spec:\n      replicas:\n        min: two\n` },
    [
      'network/i.yaml:17:9 CONFIG_WRONG_TYPE overrides[0].spec.replicas.min: found "two", expected an integer',
    ]],
  ['a rollout wave with a bad duration and percentage', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        all: true\n      maxParallel: 150%\n      bakeTime: 1 hour\n  onFailure: pause\n  unselectedClusters: lastWave\n') },
    [
      "rollout/r.yaml:10:7 CONFIG_INVALID_VALUE spec.waves[0].maxParallel: found \"150%\", expected a count such as 2 or a percentage such as \"25%\"",
      "rollout/r.yaml:11:7 CONFIG_INVALID_VALUE spec.waves[0].bakeTime: found \"1 hour\", expected a duration such as \"30m\", \"1h30m\" or \"45s\"",
    ]],
  ['a rollout policy with an unknown time zone and a reversed date range', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        all: true\n  onFailure: rollback\n  unselectedClusters: excluded\n  blackouts:\n    timeZone: Mars/Olympus\n    dates:\n      - from: "2026-12-24"\n        to: "2026-12-20"\n') },
    [
      "rollout/r.yaml:13:5 CONFIG_INVALID_VALUE spec.blackouts.timeZone: found \"Mars/Olympus\", expected an IANA time zone such as \"Europe/Berlin\" or \"UTC\"",
      "rollout/r.yaml:16:9 CONFIG_INVALID_VALUE spec.blackouts.dates[0].to: found \"2026-12-20\", expected a date not before \"2026-12-24\"",
    ]],
  ['a rollout policy that leaves unselected clusters implicit', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        regions: [eu]\n  onFailure: retry\n') },
    [
      "rollout/r.yaml:6:3 CONFIG_MISSING_FIELD spec.unselectedClusters: found nothing, expected field \"unselectedClusters\"",
      "rollout/r.yaml:10:3 CONFIG_INVALID_VALUE spec.onFailure: found \"retry\", expected one of \"pause\" or \"rollback\"",
    ]],
  ['a manifest no ManifestSet includes', { 'manifests/stray/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n' },
    [
      'manifests/stray/cm.yaml:1:1 CONFIG_UNREFERENCED_MANIFEST: found a manifest file no ManifestSet includes, expected a ManifestSet whose spec.path contains this file',
    ]],
  ['a manifest without a name', { 'platform/sets.yaml': manifestSet('base', 'manifests/base'), 'manifests/base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: default\n' },
    [
      "manifests/base/cm.yaml:4:3 CONFIG_INVALID_MANIFEST metadata.name: found nothing, expected a non-empty string",
    ]],
  ['a namespaced manifest without a namespace', { 'platform/sets.yaml': manifestSet('base', 'manifests/base'), 'manifests/base/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec: {}\n' },
    [
      'manifests/base/svc.yaml:3:1 CONFIG_INVALID_MANIFEST [2 clusters: alpha, beta] metadata: found a Service without metadata.namespace, expected metadata.namespace (Service is namespaced)',
    ]],
  ['two documents rendering one object', { 'platform/sets.yaml': `${manifestSet('base', 'manifests/base')}---\n${manifestSet('copy', 'manifests/base')}`, 'manifests/base/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n' },
    [
      'manifests/base/ns.yaml:1:1 RENDER_DUPLICATE_OBJECT [2 clusters: alpha, beta]: found Namespace/shop from Namespace/shop (via ManifestSet/copy), also rendered from Namespace/shop (via ManifestSet/base) in manifests/base/ns.yaml, expected each object rendered by one document only',
    ]],
  ['two settings documents disagreeing', { 'platform/dns.yaml': `${doc('DNSSettings', 'a', 'targets:\n  all: true\nspec:\n  upstreamNameservers: [10.0.0.53]\n')}---\n${doc('DNSSettings', 'b', 'targets:\n  names: [alpha]\nspec:\n  upstreamNameservers: [10.9.9.53]\n')}` },
    [
      'platform/dns.yaml:10:1 RENDER_SETTINGS_CONFLICT [cluster alpha]: found kube-dns setting upstreamNameservers set differently, expected the value DNSSettings/a sets, or remove one of them',
    ]],
  // Selectors that match nothing: with pruning on, a typo would delete objects on every cluster.
  ['a document selector that matches no cluster', { 'network/i.yaml': doc('IngressProfile', 'internal', 'targets:\n  matchLabels:\n    env: production\nspec:\n  inlet: LoadBalancer\n') },
    [
      'network/i.yaml:5:1 CONFIG_SELECTS_NOTHING targets: found a selector that matches none of the 2 clusters (matchLabels env: production; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
    ]],
  ['a selector that may match nothing and says so', { 'network/i.yaml': doc('IngressProfile', 'internal', 'targets:\n  matchLabels:\n    env: production\n  allowEmpty: true\nspec:\n  inlet: LoadBalancer\n') },
    []],
  ['a selector whose fields each match but never together', { 'network/i.yaml': doc('IngressProfile', 'internal', 'targets:\n  regions: [eu]\n  matchLabels:\n    env: staging\nspec:\n  inlet: LoadBalancer\n') },
    [
      'network/i.yaml:5:1 CONFIG_SELECTS_NOTHING targets: found a selector that matches none of the 2 clusters (each of regions, matchLabels matches some, together none), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
    ]],
  ['an override that matches none of the clusters its document targets', { 'network/i.yaml': `${doc('IngressProfile', 'public', 'targets:\n  regions: [eu]\nspec:\n  inlet: LoadBalancer\n')}overrides:\n  - targets:\n      matchLabels:\n        env: stagin\n    spec:\n      inlet: HostPort\n` },
    [
      'network/i.yaml:10:5 CONFIG_SELECTS_NOTHING overrides[0].targets: found a selector that matches none of the 1 cluster the document targets (matchLabels env: stagin; label env is prod), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
    ]],
  ['a typo in an override no cluster gets', { 'network/i.yaml': `${ingress('  inlet: LoadBalancer\n')}overrides:\n  - targets:\n      matchLabels:\n        env: dr\n      allowEmpty: true\n    spec:\n      replicas:\n        mni: 2\n        max: 4\n` },
    [
      'network/i.yaml:16:9 CONFIG_MISSING_FIELD overrides[0].spec.replicas.min: found nothing, expected field "min"',
      'network/i.yaml:16:9 CONFIG_UNKNOWN_FIELD overrides[0].spec.replicas.mni: found unknown field "mni", expected one of the fields min, max',
    ]],
  ['a rollout wave that matches no cluster', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: stage\n      selector:\n        matchLabels:\n          env: stage\n    - name: rest\n      selector:\n        all: true\n  onFailure: pause\n  unselectedClusters: lastWave\n') },
    [
      'rollout/r.yaml:8:7 CONFIG_SELECTS_NOTHING spec.waves[0].selector: found a selector that matches none of the 2 clusters (matchLabels env: stage; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
    ]],
  ['overlapping waves leaving one empty', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: all\n      selector:\n        all: true\n    - name: eu\n      selector:\n        regions: [eu]\n  onFailure: pause\n  unselectedClusters: lastWave\n') },
    [
      'rollout/r.yaml:11:7 CONFIG_EMPTY_WAVE spec.waves[1].selector: found a wave whose clusters (alpha) all belong to earlier waves (all): a cluster is in the first wave that selects it, expected a wave with at least one cluster of its own, or allowEmpty: true in its selector',
    ]],
  // ${...} means "this cluster's value": refused where a document is read once for the whole fleet.
  ['a variable in a Cluster document', { 'clusters/gamma.yaml': doc('Cluster', 'gamma', 'spec:\n  region: ${vars.reg}\n  publicDomain: gamma.example.com\n  clusterDomain: gamma.cluster\n') },
    [
      'clusters/gamma.yaml:6:3 CONFIG_VARIABLE_NOT_ALLOWED spec.region: found "${vars.reg}", expected a literal value: Cluster documents apply to the whole fleet and are never substituted (write $${ for a literal "${")',
    ]],
  ['a variable in a MeshGroup document', { 'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: multicluster\n  members: [alpha, beta]\n  enableIngressGateway: ${vars.igw}\n') },
    [
      'mesh/g.yaml:8:3 CONFIG_VARIABLE_NOT_ALLOWED spec.enableIngressGateway: found "${vars.igw}", expected a literal value: MeshGroup documents apply to the whole fleet and are never substituted (write $${ for a literal "${")',
    ]],
  ['variables in a RolloutPolicy document', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: canary\n      selector:\n        names: [alpha]\n      bakeTime: ${vars.canaryBake}\n      maxParallel: ${vars.par}\n  onFailure: pause\n  unselectedClusters: lastWave\n') },
    [
      'rollout/r.yaml:10:7 CONFIG_VARIABLE_NOT_ALLOWED spec.waves[0].bakeTime: found "${vars.canaryBake}", expected a literal value: RolloutPolicy documents apply to the whole fleet and are never substituted (write $${ for a literal "${")',
      'rollout/r.yaml:11:7 CONFIG_VARIABLE_NOT_ALLOWED spec.waves[0].maxParallel: found "${vars.par}", expected a literal value: RolloutPolicy documents apply to the whole fleet and are never substituted (write $${ for a literal "${")',
    ]],
  ['a variable in a document name', { 'network/i.yaml': doc('IngressProfile', '${cluster.name}', 'targets:\n  all: true\nspec:\n  inlet: LoadBalancer\n') },
    [
      'network/i.yaml:4:3 CONFIG_VARIABLE_NOT_ALLOWED metadata.name: found "${cluster.name}", expected a literal value: only spec fields of IngressProfile documents are substituted per cluster (write $${ for a literal "${")',
    ]],
  // Addresses: every octet 0-255, IPv4 prefixes up to 32, IPv6 prefixes up to 128.
  ['IPv4 octets above 255 in an Egress', { 'network/egress.yaml': doc('Egress', 'out', 'targets:\n  all: true\nspec:\n  nodeSelector:\n    role: egress\n  sourceIP:\n    virtualIPAddress:\n      ip: 192.0.2.256\n  policies:\n    - name: all\n      destinationCIDRs: [10.300.0.0/16]\n      excludedCIDRs: [100.640.0.0/16]\n      selectors:\n        - namespace: shop\n') },
    [
      'network/egress.yaml:12:7 CONFIG_INVALID_VALUE spec.sourceIP.virtualIPAddress.ip: found "192.0.2.256", expected an IPv4 address such as "10.0.0.1" (octets 0-255)',
      'network/egress.yaml:15:26 CONFIG_INVALID_VALUE spec.policies[0].destinationCIDRs[0]: found "10.300.0.0/16", expected a CIDR such as "10.0.0.0/8" or "fd00::/64" (IPv4 octets 0-255, prefix at most 32 or 128)',
      'network/egress.yaml:16:23 CONFIG_INVALID_VALUE spec.policies[0].excludedCIDRs[0]: found "100.640.0.0/16", expected a CIDR such as "10.0.0.0/8" or "fd00::/64" (IPv4 octets 0-255, prefix at most 32 or 128)',
    ]],
  ['an IPv4 nameserver octet above 255', { 'platform/dns.yaml': doc('DNSSettings', 'dns', 'targets:\n  all: true\nspec:\n  upstreamNameservers: [10.0.0.530]\n') },
    [
      'platform/dns.yaml:8:25 CONFIG_INVALID_VALUE spec.upstreamNameservers[0]: found "10.0.0.530", expected an IPv4 address with an optional port, such as "10.0.0.53:53" (octets 0-255, port 1-65535)',
    ]],
  ['an IPv6 prefix above 128', { 'network/p.yaml': doc('PolicySet', 'p', 'targets:\n  all: true\nspec:\n  namespaces: [shop]\n  blocks:\n    - type: allowToCIDR\n      name: v6\n      cidrs: ["::/999", "fd00::/64"]\n') },
    [
      'network/p.yaml:12:15 CONFIG_INVALID_VALUE spec.blocks[0].cidrs[0]: found "::/999", expected a CIDR such as "10.0.0.0/8" or "fd00::/64" (IPv4 octets 0-255, prefix at most 32 or 128)',
    ]],
  // Rollout times that cannot happen.
  ['impossible blackout dates', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        all: true\n  onFailure: pause\n  unselectedClusters: lastWave\n  blackouts:\n    timeZone: UTC\n    dates:\n      - from: "2026-12-32"\n        to: "2027-01-02"\n      - from: "2027-02-27"\n        to: "2027-02-30"\n') },
    [
      'rollout/r.yaml:15:9 CONFIG_INVALID_VALUE spec.blackouts.dates[0].from: found "2026-12-32", expected a date "YYYY-MM-DD" or a local date-time "YYYY-MM-DDTHH:MM"',
    ]],
  ['a blackout date that is not in the calendar', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        all: true\n  onFailure: pause\n  unselectedClusters: lastWave\n  blackouts:\n    timeZone: UTC\n    dates:\n      - from: "2027-02-27"\n        to: "2027-02-30"\n') },
    [
      'rollout/r.yaml:16:9 CONFIG_INVALID_VALUE spec.blackouts.dates[0].to: found "2027-02-30", expected a date that exists in the calendar, such as "2026-12-24"',
    ]],
  ['a zero deadline', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: one\n      selector:\n        all: true\n      deadline: 0s\n  onFailure: pause\n  unselectedClusters: lastWave\n') },
    [
      'rollout/r.yaml:10:7 CONFIG_INVALID_VALUE spec.waves[0].deadline: found "0s", expected a duration longer than 0s (leave deadline out for no limit)',
    ]],
  // manifests/ holds plain Kubernetes objects only.
  ['a netfleet document under manifests/', { 'platform/sets.yaml': manifestSet('base', 'manifests/base'), 'manifests/base/cni.yaml': doc('CNISettings', 'cni', 'targets:\n  all: true\nspec:\n  tunnelMode: VXLAN\n') },
    [
      'manifests/base/cni.yaml:1:1 CONFIG_INVALID_MANIFEST apiVersion: found a netfleet CNISettings document, expected a plain Kubernetes object here; netfleet documents belong outside manifests/ (move it to another folder)',
    ]],
  // Every problem in one run, each once.
  ['three independent mistakes', {
    'network/egress.yaml': doc('Egress', 'out', 'targets:\n  all: true\nspec:\n  nodeSelector:\n    role: egress\n  sourceIP:\n    virtualIPAddress:\n      ip: ${vars.vip}\n  policies:\n    - name: all\n      destinationCIDRs: [0.0.0.0/0]\n      selectors:\n        - namespace: shop\n      colour: red\n'),
    'network/i.yaml': doc('IngressProfile', 'internal', 'targets:\n  matchLabels:\n    env: production\nspec:\n  inlet: Bogus\n'),
    'platform/dns.yaml': doc('DNSSettings', 'dns', 'targets:\n  all: true\nspec:\n  upstreamNameservers:\n    - ${vars.dns}\n'),
  },
    [
      'network/egress.yaml:18:7 CONFIG_UNKNOWN_FIELD spec.policies[0].colour: found unknown field "colour", expected one of the fields name, destinationCIDRs, excludedCIDRs, selectors',
      'network/i.yaml:5:1 CONFIG_SELECTS_NOTHING targets: found a selector that matches none of the 2 clusters (matchLabels env: production; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
      'network/i.yaml:9:3 CONFIG_INVALID_VALUE spec.inlet: found "Bogus", expected one of "LoadBalancer", "LoadBalancerWithProxyProtocol", "LoadBalancerWithSSLPassthrough", "HostPort", "HostPortWithProxyProtocol", "HostPortWithSSLPassthrough" or "HostWithFailover"',
      'platform/dns.yaml:9:7 CONFIG_UNKNOWN_VARIABLE [2 clusters: alpha, beta] spec.upstreamNameservers[0]: found ${vars.dns}, expected a variable every cluster the document renders for defines (in its Cluster document): cluster.name, cluster.region, cluster.publicDomain, cluster.clusterDomain, cluster.labels.env, vars.vip',
    ]],
  ['a rollout policy with a schema error and a wave that selects nothing', { 'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: stage\n      selector:\n        matchLabels:\n          env: stage\n  onFailure: retry\n  unselectedClusters: lastWave\n') },
    [
      'rollout/r.yaml:8:7 CONFIG_SELECTS_NOTHING spec.waves[0].selector: found a selector that matches none of the 2 clusters (matchLabels env: stage; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
      'rollout/r.yaml:11:3 CONFIG_INVALID_VALUE spec.onFailure: found "retry", expected one of "pause" or "rollback"',
    ]],
  ['an invalid Cluster document that others refer to', {
    'clusters/gamma.yaml': doc('Cluster', 'gamma', '  labels:\n    tier: edge\nspec:\n  region: ap\n  publicDomain: Gamma.example.com\n  clusterDomain: gamma.cluster\n'),
    'mesh/g.yaml': doc('MeshGroup', 'g', 'spec:\n  type: federation\n  members: [alpha, gamma]\n'),
    'network/i.yaml': doc('IngressProfile', 'edge', 'targets:\n  regions: [ap]\n  names: [gamma]\n  matchLabels:\n    tier: edge\nspec:\n  inlet: LoadBalancer\n'),
    'rollout/r.yaml': doc('RolloutPolicy', 'r', 'spec:\n  waves:\n    - name: ap\n      selector:\n        regions: [ap]\n  onFailure: pause\n  unselectedClusters: lastWave\n'),
  },
    [
      'clusters/gamma.yaml:9:3 CONFIG_INVALID_VALUE spec.publicDomain: found "Gamma.example.com", expected a DNS name such as "k8s.example.com"',
    ]],
];


describe('when the repository has a mistake', () => {
  it.each(CASES)('reports %s with file, position, field, found and expected', async (_name, files, expected) => {
    expect(await problemsOf(files)).toEqual(expected);
  });

  it('refuses an oversized file by its listed size without reading it', async () => {
    const repo = new MemoryRepo({ ...BASE_FLEET, 'network/huge.yaml': { unreadableOfSize: 50 * 1024 * 1024 } });
    await expect(loadFleet(repo)).rejects.toThrow(ConfigError);
    expect(repo.reads).not.toContain('network/huge.yaml');
  });

  it('lists every problem of the repository at once, sorted by file and line', async () => {
    const error = await loadFleet(
      new MemoryRepo({
        ...BASE_FLEET,
        'network/z.yaml': '- a\n',
        'clusters/gamma.yaml': CASES.find(([name]) => name === 'a number where a string belongs')![1]['clusters/gamma.yaml'] as string,
      }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, code, message } = error as ConfigError;
    expect(code).toBe('CONFIG_INVALID');
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual(['clusters/gamma.yaml:6', 'network/z.yaml:1']);
    expect(message.split('\n')[0]).toBe('2 problems in the fleet repository:');
  });

  it('survives runaway nesting and lists a cascade of syntax errors briefly', async () => {
    // Where the parser runs out of stack depends on the machine, so only the shape is fixed here.
    const problems = await problemsOf({ 'network/deep.yaml': `a: ${'['.repeat(100000)}` });
    // At most five listed (identical ones once) and a count of the rest.
    expect(problems.length).toBeLessThanOrEqual(6);
    expect(problems[0]).toMatch(/^network\/deep\.yaml:1:\d+ CONFIG_YAML_SYNTAX: found invalid YAML: maximum call stack size exceeded, expected valid YAML$/);
    expect(problems.at(-1)).toMatch(/found \d+ more YAML errors in this document, expected valid YAML$/);
  });

  it('loads the base fleet without problems', async () => {
    expect(await problemsOf({})).toEqual([]);
  });

  it('ignores hidden folders and files that are not YAML', async () => {
    expect(await problemsOf({ '.github/workflows/ci.yaml': 'on: [push]\njobs: {}\n', 'README.md': '# fleet\n', 'clusters/.draft.yaml': '- nope\n' })).toEqual([]);
  });
});
