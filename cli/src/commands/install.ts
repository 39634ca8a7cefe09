import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { NetfleetError, parseRedisUrl, redactRedisUrl } from '@netfleet/shared';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { AGENT_NAME, DEFAULT_IMAGE, agentManifests, type AgentInstallInputs, type SecretShape } from '../install/agent-manifests.js';
import { applyObjects, installKubeConfig } from '../install/apply.js';
import { hubManifests, type HubInstallInputs } from '../install/hub-manifests.js';
import { DEFAULT_REDIS_IMAGE } from '../install/redis-manifests.js';
import { fleetResources } from '../install/fleet-kinds.js';
import { manifestsJson, manifestsYaml, type ExportedManifests } from '../install/output.js';
import { parseResourceName, type ResourceRef } from '../install/rbac.js';

const usage = (message: string, hint: string) => new NetfleetError('CLI_USAGE', message, { hint });

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
    namespace: String(options.namespace), image: String(options.image), manifestResources: resources,
  };
}

/** The Secret of `shape` with the contents of the local files given for it, or undefined when none was given. */
async function secretFromFiles(shape: SecretShape, options: Record<string, unknown>): Promise<V1Secret | undefined> {
  const sources: Record<string, unknown> = {
    token: options.gitTokenFile, 'ssh-key': options.sshKeyFile, known_hosts: options.knownHostsFile, 'credentials.json': options.hubCredentials,
  };
  const keys = Object.keys(shape.keys);
  if (keys.some((key) => typeof sources[key] !== 'string')) return undefined;
  const data: Record<string, string> = {};
  for (const key of keys) {
    const file = String(sources[key]);
    const content = await readFile(file).catch((cause: NodeJS.ErrnoException) => {
      throw new NetfleetError('CLI_SECRET_FILE_UNREADABLE', `cannot read ${file} for the Secret ${shape.name} (key ${key}): ${cause.code ?? cause.message}`, {
        hint: 'pass a readable file; nothing was applied',
      });
    });
    data[key] = content.toString('base64');
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: shape.name, namespace: shape.namespace }, type: 'Opaque', data };
}

const describe = (object: KubernetesObject) => `${object.kind!.toLowerCase()}/${object.metadata!.name!}`;

async function install(manifests: ExportedManifests, options: Record<string, unknown>, io: CliIO): Promise<number> {
  const secrets: V1Secret[] = [];
  const missing: SecretShape[] = [];
  for (const shape of manifests.secrets) {
    const secret = await secretFromFiles(shape, options);
    if (secret) secrets.push(secret);
    else missing.push(shape);
  }
  const kubeConfig = installKubeConfig(options.kubeconfig as string | undefined, options.context as string | undefined);
  io.stdout.write(`installing into ${kubeConfig.getCurrentCluster()?.server ?? 'the current context'} (field manager netfleet-install)\n`);
  // Secrets go in before the Deployment that mounts them, after their namespace.
  const [namespace, ...rest] = manifests.objects;
  await applyObjects([namespace!, ...secrets, ...rest], { kubeConfig }, (object, outcome) => {
    io.stdout.write(`${describe(object)} ${outcome}${object.kind === 'Secret' ? ' (values from the given files)' : ''}\n`);
  });
  for (const shape of missing) io.stdout.write(`secret/${shape.name} not created: create it with\n  ${shape.create}\n`);
  io.stdout.write(`applied. The cluster's controllers now start the agent; follow it with\n  kubectl -n ${String(options.namespace)} rollout status deployment/${AGENT_NAME}\n`);
  return missing.length > 0 ? ExitCode.Findings : ExitCode.Ok;
}

/** `netfleet install hub --export`: the hub's manifests. Applying them is left to kubectl: they need Secrets only their owner has. */
function exportHub(options: Record<string, unknown>, io: CliIO): number {
  if (!options.export) throw usage('install hub only prints its manifests', 'netfleet install hub --export | kubectl apply -f -, after creating the Secrets it lists');
  // The URL lands in the Deployment's args, for anyone who can read it: its password belongs in the Secret.
  if (options.redisUrl !== undefined && parseRedisUrl(String(options.redisUrl)).password !== undefined) {
    throw usage(`--redis-url ${redactRedisUrl(String(options.redisUrl))} carries a password`, 'leave it out of the URL: the hub reads it from the Secret hub-redis (key password)');
  }
  const inputs: HubInstallInputs = {
    namespace: String(options.namespace ?? 'netfleet-hub'), image: String(options.image), host: String(options.host), redisImage: String(options.redisImage),
    ...(options.redisUrl ? { redisUrl: String(options.redisUrl) } : {}),
  };
  const manifests: ExportedManifests = { title: 'The netfleet hub: kubectl apply -f -', ...hubManifests(inputs) };
  io.stdout.write(options.output === 'json' ? manifestsJson(manifests) : manifestsYaml(manifests));
  return ExitCode.Ok;
}

/** `netfleet install agent`: the agent's manifests for one cluster, printed or applied. `install hub --export`: the hub's. */
export const installCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .argument('<component>', 'what to install: agent | hub')
      .option('--cluster <name>', 'agent: the cluster\'s name in the fleet inventory (required)')
      .option('--repo <url|dir>', 'agent: the fleet repository the agent pulls, required (a local directory also supplies the manifest kinds)')
      .option('--branch <name>', 'branch to follow', 'main')
      .option('--hub-url <url>', 'hub API URL; the agent reports to it with the credentials in the Secret netfleet-hub')
      .option('--hub-credentials <file>', 'without --export: the credentials file `netfleet register` wrote, stored as the Secret netfleet-hub')
      .option('--git-token-file <file>', 'the git server takes a token (Secret netfleet-git, key token); without --export, the file\'s token is stored')
      .option('--ssh-key-file <file>', 'the git server takes an SSH deploy key (Secret netfleet-git, keys ssh-key and known_hosts); without --export, stored')
      .option('--known-hosts-file <file>', 'without --export, with --ssh-key-file: the known_hosts file stored beside the key')
      .option('--namespace <ns>', 'the namespace (default netfleet-system for the agent, netfleet-hub for the hub)')
      .option('--host <name>', 'hub: the host agents reach the hub API on (Ingress, TLS Secret netfleet-hub-tls)', 'hub.example.com')
      .option('--redis-url <url>', 'hub: an external Redis (or Sentinel / Cluster) URL instead of the Redis beside the hub')
      .option('--redis-image <image>', 'hub: the Redis image', DEFAULT_REDIS_IMAGE)
      .option('--image <image>', 'the netfleet container image', DEFAULT_IMAGE)
      .option('--manifest-kinds <list>', 'kinds of the fleet\'s plain manifests as resource.group, comma-separated (e.g. configmaps,peerauthentications.security.istio.io)')
      .option('--fleet-dir <dir>', 'a local checkout of the fleet: its plain manifests\' kinds are granted')
      .option('--export', 'print the manifests instead of applying them')
      .option('-o, --output <format>', 'with --export: yaml | json', 'yaml')
      .option('--kubeconfig <file>', 'without --export: kubeconfig of the cluster (default: KUBECONFIG / ~/.kube/config)')
      .option('--context <name>', 'without --export: kubeconfig context')
      .addHelpText('after', '\nExit codes: 0 printed or applied, 1 applied but a Secret is still to be created, 2 error.');
  },

  async run(options, args, io) {
    const [component] = args;
    if (component !== 'agent' && component !== 'hub') throw usage(`cannot install "${String(component)}"`, 'netfleet install agent ... or netfleet install hub --export');
    if (options.output !== 'yaml' && options.output !== 'json') throw usage(`--output is "${String(options.output)}"; expected yaml or json`, 'pass -o yaml or -o json');
    if (component === 'hub') return exportHub(options, io);
    for (const required of ['cluster', 'repo'] as const) {
      if (typeof options[required] !== 'string') throw usage(`install agent needs --${required}`, 'netfleet install agent --cluster NAME --repo URL ...');
    }
    options.namespace ??= 'netfleet-system';
    const inputs = agentInputs(options, await manifestResources(options));
    const { objects, secrets, notes } = agentManifests(inputs);
    const manifests: ExportedManifests = { title: `The netfleet agent of cluster ${inputs.cluster}: kubectl apply -f -`, objects, secrets, notes };
    if (!options.export) return install(manifests, options, io);
    io.stdout.write(options.output === 'json' ? manifestsJson(manifests) : manifestsYaml(manifests));
    return ExitCode.Ok;
  },
};
