import type { Command } from 'commander';
import { NetfleetError, parseRedisUrl, redactRedisUrl } from '@netfleet/shared';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { AGENT_NAME } from '../install/agent-manifests.js';
import { DEFAULT_AGENT_NAMESPACE, addAgentOptions, addClusterOptions, agentManifestsFor, applyAgent, clusterKubeConfig } from '../install/agent-install.js';
import { waitForDeployment } from '../install/rollout-status.js';
import { hubManifests, type HubInstallInputs } from '../install/hub-manifests.js';
import { DEFAULT_REDIS_IMAGE } from '../install/redis-manifests.js';
import { manifestsJson, manifestsYaml, type ExportedManifests } from '../install/output.js';

const usage = (message: string, hint: string) => new NetfleetError('CLI_USAGE', message, { hint });

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
    return addClusterOptions(addAgentOptions(command.argument('<component>', 'what to install: agent | hub'), `the namespace (default ${DEFAULT_AGENT_NAMESPACE} for the agent, netfleet-hub for the hub)`)
      .option('--hub-credentials <file>', 'without --export: the credentials file `netfleet register` wrote, stored as the Secret netfleet-hub')
      .option('--host <name>', 'hub: the host agents reach the hub API on (Ingress, TLS Secret netfleet-hub-tls)', 'hub.example.com')
      .option('--redis-url <url>', 'hub: an external Redis (or Sentinel / Cluster) URL instead of the Redis beside the hub')
      .option('--redis-image <image>', 'hub: the Redis image', DEFAULT_REDIS_IMAGE)
      .option('--export', 'print the manifests instead of applying them')
      .option('--no-wait', 'agent, without --export: do not wait for the agent\'s Deployment to roll out')
      .option('--timeout <seconds>', 'agent, without --export: how long to wait for the Deployment to roll out', '300')
      .option('-o, --output <format>', 'with --export: yaml | json', 'yaml'), 'without --export: ')
      .addHelpText('after', '\nExit codes: 0 printed or applied, 1 applied but a Secret is still to be created, 2 error.');
  },

  async run(options, args, io) {
    const [component] = args;
    if (component !== 'agent' && component !== 'hub') throw usage(`cannot install "${String(component)}"`, 'netfleet install agent ... or netfleet install hub --export');
    if (options.output !== 'yaml' && options.output !== 'json') throw usage(`--output is "${String(options.output)}"; expected yaml or json`, 'pass -o yaml or -o json');
    if (component === 'hub') return exportHub(options, io);
    const manifests = await agentManifestsFor(options, 'install agent');
    if (!options.export) {
      const timeoutSeconds = Number(options.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw usage(`--timeout is "${String(options.timeout)}"; expected a whole number of seconds`, 'pass e.g. --timeout 300');
      const kubeConfig = clusterKubeConfig(options);
      const { missing } = await applyAgent(manifests, options, io, [], kubeConfig);
      // The pod cannot start before its Secrets exist: nothing to wait for yet.
      if (missing.length > 0) return ExitCode.Findings;
      if (options.wait === false) {
        io.stdout.write(`applied. The cluster's controllers now start the agent; follow it with\n  kubectl -n ${manifests.inputs.namespace} rollout status deployment/${AGENT_NAME}\n`);
        return ExitCode.Ok;
      }
      await waitForDeployment(kubeConfig, { namespace: manifests.inputs.namespace, name: AGENT_NAME, timeoutMs: timeoutSeconds * 1000 }, io);
      return ExitCode.Ok;
    }
    io.stdout.write(options.output === 'json' ? manifestsJson(manifests) : manifestsYaml(manifests));
    return ExitCode.Ok;
  },
};
