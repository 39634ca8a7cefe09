import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { KubeConfig, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { NetfleetError } from '@netfleet/shared';
import type { CliIO } from '../command.js';
import { DEFAULT_IMAGE, agentManifests, type AgentInstallInputs, type SecretShape } from './agent-manifests.js';
import { applyObjects, installKubeConfig, type ApplyOutcome } from './apply.js';
import { fleetResources } from './fleet-kinds.js';
import type { ExportedManifests } from './output.js';
import { parseResourceName, type ResourceRef } from './rbac.js';

export const DEFAULT_AGENT_NAMESPACE = 'netfleet-system';

const usage = (message: string, hint: string) => new NetfleetError('CLI_USAGE', message, { hint });

/**
 * The options that describe a cluster's agent, the same for `install agent` and
 * `bootstrap` (which installs it the same way).
 */
export function addAgentOptions(command: Command, namespaceHelp = `the agent's namespace (default ${DEFAULT_AGENT_NAMESPACE})`): Command {
  return command
    .option('--cluster <name>', 'agent: the cluster\'s name in the fleet inventory (required)')
    .option('--repo <url|dir>', 'agent: the fleet repository the agent pulls, required (a local directory also supplies the manifest kinds)')
    .option('--branch <name>', 'branch to follow', 'main')
    .option('--hub-url <url>', 'hub API URL; the agent reports to it with the credentials in the Secret netfleet-hub')
    .option('--git-token-file <file>', 'the git server takes a token (Secret netfleet-git, key token); when applying, the file\'s token is stored')
    .option('--ssh-key-file <file>', 'the git server takes an SSH deploy key (Secret netfleet-git, keys ssh-key and known_hosts); when applying, stored')
    .option('--known-hosts-file <file>', 'when applying, with --ssh-key-file: the known_hosts file stored beside the key')
    .option('--namespace <ns>', namespaceHelp)
    .option('--image <image>', 'the netfleet container image', DEFAULT_IMAGE)
    .option('--manifest-kinds <list>', 'kinds of the fleet\'s plain manifests as resource.group, comma-separated (e.g. configmaps,peerauthentications.security.istio.io)')
    .option('--fleet-dir <dir>', 'a local checkout of the fleet: its plain manifests\' kinds are granted');
}

/** `--kubeconfig` and `--context`, for the commands that reach a cluster. */
export function addClusterOptions(command: Command, when = ''): Command {
  return command
    .option('--kubeconfig <file>', `${when}kubeconfig of the cluster (default: KUBECONFIG / ~/.kube/config)`)
    .option('--context <name>', `${when}kubeconfig context`);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** The manifest kinds named with --manifest-kinds, and those of the fleet read from a local directory. */
async function manifestResources(options: Record<string, unknown>): Promise<ResourceRef[]> {
  const named = String(options.manifestKinds ?? '').split(',').map((name) => name.trim()).filter(Boolean).map(parseResourceName);
  const dir = typeof options.fleetDir === 'string' ? options.fleetDir : await isDirectory(String(options.repo)) ? String(options.repo) : undefined;
  return [...named, ...(dir ? await fleetResources(dir) : [])];
}

function agentInputs(options: Record<string, unknown>, resources: ResourceRef[]): AgentInstallInputs {
  if (options.gitTokenFile && options.sshKeyFile) throw usage('--git-token-file and --ssh-key-file exclude each other', 'pass the one your git server takes');
  if (options.hubUrl !== undefined && !/^https?:\/\//.test(String(options.hubUrl))) {
    throw usage(`--hub-url is "${String(options.hubUrl)}"; expected an https:// URL`, 'pass the hub API base URL, e.g. https://hub.example.com');
  }
  return {
    cluster: String(options.cluster), repo: String(options.repo), branch: String(options.branch),
    ...(options.hubUrl ? { hubUrl: String(options.hubUrl) } : {}),
    gitAuth: options.sshKeyFile ? 'ssh' : options.gitTokenFile ? 'token' : 'none',
    namespace: String(options.namespace ?? DEFAULT_AGENT_NAMESPACE), image: String(options.image), manifestResources: resources,
  };
}

/** The agent's manifests for the cluster the options describe; `--cluster` and `--repo` are required. */
export async function agentManifestsFor(options: Record<string, unknown>, command: string): Promise<ExportedManifests & { inputs: AgentInstallInputs }> {
  for (const required of ['cluster', 'repo'] as const) {
    if (typeof options[required] !== 'string') throw usage(`${command} needs --${required}`, `netfleet ${command} --cluster NAME --repo URL ...`);
  }
  const inputs = agentInputs(options, await manifestResources(options));
  const { objects, secrets, notes } = agentManifests(inputs);
  return { title: `The netfleet agent of cluster ${inputs.cluster}: kubectl apply -f -`, objects, secrets, notes, inputs };
}

/** The Secret of `shape` with the contents of the local files given for it, or undefined when none was given. */
async function secretFromFiles(shape: SecretShape, options: Record<string, unknown>): Promise<V1Secret | undefined> {
  const sources: Record<string, unknown> = {
    token: options.gitTokenFile, 'ssh-key': options.sshKeyFile, known_hosts: options.knownHostsFile, 'credentials.json': options.hubCredentials,
  };
  const keys = Object.keys(shape.keys);
  if (keys.some((key) => typeof sources[key] !== 'string')) return undefined;
  const data: Record<string, Buffer> = {};
  for (const key of keys) {
    const file = String(sources[key]);
    data[key] = await readFile(file).catch((cause: NodeJS.ErrnoException) => {
      throw new NetfleetError('CLI_SECRET_FILE_UNREADABLE', `cannot read ${file} for the Secret ${shape.name} (key ${key}): ${cause.code ?? cause.message}`, {
        hint: 'pass a readable file; nothing was applied',
      });
    });
  }
  return secretOf(shape, data);
}

/** The Secret of `shape` holding `data` (its values base64-encoded, as the API takes them). */
export function secretOf(shape: SecretShape, data: Record<string, Buffer>): V1Secret {
  return {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: shape.name, namespace: shape.namespace }, type: shape.type ?? 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.toString('base64')])),
  };
}

const describe = (object: KubernetesObject) => `${object.kind!.toLowerCase()}/${object.metadata!.name!}`;

/** What applying the agent did: each object's outcome, and the Secrets nobody gave the values of. */
export interface AgentApplied {
  outcomes: ApplyOutcome[];
  missing: SecretShape[];
}

/**
 * Applies the agent's manifests to the cluster of `--kubeconfig/--context`, each object
 * reported as it goes. A Secret is applied when `given` holds it or its files were named;
 * the others are returned as missing. Secret values are never written out.
 */
export async function applyAgent(
  manifests: ExportedManifests, options: Record<string, unknown>, io: CliIO, given: V1Secret[] = [], kubeConfig: KubeConfig = clusterKubeConfig(options),
): Promise<AgentApplied> {
  const secrets: V1Secret[] = [];
  const missing: SecretShape[] = [];
  for (const shape of manifests.secrets) {
    const secret = given.find((candidate) => candidate.metadata?.name === shape.name) ?? await secretFromFiles(shape, options);
    if (secret) secrets.push(secret);
    else missing.push(shape);
  }
  io.stdout.write(`installing into ${kubeConfig.getCurrentCluster()?.server ?? 'the current context'} (field manager netfleet-install)\n`);
  const outcomes: ApplyOutcome[] = [];
  // Secrets go in before the Deployment that mounts them, after their namespace.
  const [namespace, ...rest] = manifests.objects;
  await applyObjects([namespace!, ...secrets, ...rest], { kubeConfig }, (object, outcome) => {
    outcomes.push(outcome);
    io.stdout.write(`${describe(object)} ${outcome}${object.kind === 'Secret' ? ' (values not shown)' : ''}\n`);
  });
  for (const shape of missing) io.stdout.write(`secret/${shape.name} not created: create it with\n  ${shape.create}\n`);
  return { outcomes, missing };
}

/** The cluster `--kubeconfig` / `--context` name. */
export function clusterKubeConfig(options: Record<string, unknown>): KubeConfig {
  return installKubeConfig(options.kubeconfig as string | undefined, options.context as string | undefined);
}
