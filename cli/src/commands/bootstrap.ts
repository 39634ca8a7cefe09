import type { Command } from 'commander';
import { KubeClient } from '@netfleet/agent';
import { saveCredentials } from '@netfleet/agent/report/index';
import { NetfleetError } from '@netfleet/shared';
import { ExitCode, type CliCommand } from '../command.js';
import { clusterCredentials } from '../bootstrap/cluster-credentials.js';
import { waitForFirstReport } from '../bootstrap/first-report.js';
import { HubClient, age, parseHubUrl } from '../hub-client.js';
import { AGENT_NAME, HUB_CREDENTIALS_SECRET } from '../install/agent-manifests.js';
import { addAgentOptions, addClusterOptions, agentManifestsFor, applyAgent, clusterKubeConfig } from '../install/agent-install.js';
import { INSTALL_FIELD_MANAGER, applyObjects } from '../install/apply.js';
import { collect, parseLabels } from '../labels.js';

const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * `netfleet bootstrap`: registers a cluster with the hub, stores its credentials as a
 * Secret in the cluster, installs the agent as `install agent` does, and waits for the
 * cluster's first report at the hub. Run again, it finds the Secret and the registration
 * and changes nothing.
 */
export const bootstrapCommand: CliCommand = {
  define(command: Command): Command {
    return addClusterOptions(addAgentOptions(command))
      .option('--region <region>', 'the cluster\'s region (required to register it)')
      .option('--label <key=value>', 'a label of the cluster at the hub, when registering (repeatable)', collect)
      .option('--bootstrap-token-file <file>', 'file with the bootstrap token a hub admin created (required to register the cluster)')
      .option('--rotate', 'the cluster is registered: give it new credentials (the old ones stop working at once) and update its Secret')
      .option('--credentials-out <file>', 'also write the credentials to this file (mode 0600); by default they are stored in the cluster only')
      .option('--timeout <seconds>', 'how long to wait for the cluster\'s first report at the hub', String(DEFAULT_TIMEOUT_SECONDS))
      .addHelpText('after', [
        '', 'Example:',
        '  netfleet bootstrap --cluster eu-fra-1 --region eu-central --kubeconfig ~/.kube/eu-fra-1 --hub-url https://hub.example.com \\',
        '    --bootstrap-token-file bootstrap-token --repo https://git.example.com/platform/fleet.git --git-token-file git-token',
        '', 'Exit codes: 0 bootstrapped (or nothing to change), 1 installed but a git Secret is still to be created, 2 error or no report in time.',
      ].join('\n'));
  },

  async run(options, _args, io) {
    if (typeof options.hubUrl !== 'string') throw new NetfleetError('CLI_USAGE', 'bootstrap needs --hub-url', { hint: 'the hub API URL the agent reports to, e.g. https://hub.example.com' });
    const hubUrl = parseHubUrl(options.hubUrl, '--hub-url');
    const timeoutSeconds = Number(options.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new NetfleetError('CLI_USAGE', `--timeout is "${String(options.timeout)}"; expected a number of seconds`, { hint: `e.g. --timeout ${DEFAULT_TIMEOUT_SECONDS}` });
    const manifests = await agentManifestsFor(options, 'bootstrap');
    const { cluster, namespace } = manifests.inputs;
    const shape = manifests.secrets.find((secret) => secret.name === HUB_CREDENTIALS_SECRET)!;
    const kubeConfig = clusterKubeConfig(options);
    const kube = new KubeClient({ kubeConfig, fieldManager: INSTALL_FIELD_MANAGER });

    const step = await clusterCredentials(kube, shape, {
      hubUrl, cluster, labels: parseLabels(options.label as string[] | undefined), rotate: options.rotate === true,
      ...(typeof options.region === 'string' ? { region: options.region } : {}),
      ...(typeof options.bootstrapTokenFile === 'string' ? { bootstrapTokenFile: options.bootstrapTokenFile } : {}),
    });
    const generation = `key generation ${step.credentials.keyGeneration}`;
    io.stdout.write({
      kept: `${cluster} is registered with the hub; keeping its credentials (Secret ${namespace}/${shape.name}, ${generation})\n`,
      registered: `registered ${cluster} with the hub (${generation})\n`,
      rotated: `rotated the credentials of ${cluster} (now ${generation}); the old ones no longer work\n`,
    }[step.action]);
    if (step.action !== 'kept') {
      // New credentials exist only in memory until stored: the Secret goes in before anything else can fail.
      const [namespaceObject] = manifests.objects;
      await applyObjects([namespaceObject!, step.secret], { kubeConfig }, (object, outcome) => {
        io.stdout.write(`${object.kind!.toLowerCase()}/${object.metadata!.name!} ${outcome}${object.kind === 'Secret' ? ' (credentials stored, values not shown)' : ''}\n`);
      });
    }
    if (typeof options.credentialsOut === 'string') {
      await saveCredentials(options.credentialsOut, step.credentials);
      io.stdout.write(`credentials also written to ${options.credentialsOut} (mode 0600)\n`);
    }

    const applied = await applyAgent(manifests, options, io, [step.secret], kubeConfig);
    if (applied.missing.length > 0) {
      io.stdout.write(`the agent cannot start before those Secrets exist; create them, then run bootstrap again\n`);
      return ExitCode.Findings;
    }
    const detail = await waitForFirstReport(HubClient.withToken(hubUrl, step.credentials.apiToken), {
      cluster, timeoutMs: timeoutSeconds * 1000,
      hint: `check the agent with kubectl -n ${namespace} rollout status deployment/${AGENT_NAME} and kubectl -n ${namespace} logs deployment/${AGENT_NAME}: `
        + `it must reach the hub at ${hubUrl} and the fleet repository ${manifests.inputs.repo} from inside the cluster`,
    }, io);
    io.stdout.write(`${cluster} reports to the hub: ${detail.state}, last seen ${age(detail.lastSeen)}, sync ${detail.sync ? `${detail.sync.status} at ${detail.sync.revision.slice(0, 12)}` : 'not reported yet'}\n`);
    const changed = step.action !== 'kept' || applied.outcomes.some((outcome) => outcome !== 'unchanged');
    io.stdout.write(changed ? `bootstrapped ${cluster}\n` : `${cluster} was bootstrapped already: nothing changed\n`);
    return ExitCode.Ok;
  },
};
