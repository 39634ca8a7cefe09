import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseRepositoryUrl } from '@netfleet/git';
import { describeFileError, describeYamlError } from '@netfleet/shared';
import { AgentConfigError } from '../errors.js';
import { parseListen } from './http.js';

/** Everything `netfleet agent` can be told, from flags, the environment or a config file. */
export interface AgentOptions {
  /**
   * The fleet repository: an `https://` (or `http://`) URL, an SSH URL (`ssh://git@host/org/repo.git`
   * or `git@host:org/repo.git`), or a local directory.
   */
  repo: string;
  /**
   * Branch to follow (git repositories only).
   * @defaultValue 'main'
   */
  branch: string;
  /** This cluster's name in the fleet inventory (`clusters/*.yaml`). */
  cluster: string;
  /** Path of a kubeconfig file; unset uses in-cluster config when `inCluster`, else the default loading rules. */
  kubeconfig?: string;
  /** The kubeconfig context to use; unset uses its current context. */
  context?: string;
  /**
   * Use the pod's service account.
   * @defaultValue false
   */
  inCluster: boolean;
  /**
   * The agent's namespace, where its inventory ConfigMap lives.
   * @defaultValue env `POD_NAMESPACE`, else 'netfleet-system'
   */
  namespace: string;
  /**
   * Directory of the git object cache, kept across restarts.
   * @defaultValue '~/.cache/netfleet/git'
   */
  cacheDir: string;
  /**
   * Seconds between polls of the repository (and syncs of a local directory).
   * @defaultValue 60
   */
  interval: number;
  /**
   * Seconds before a sync that is waiting for a module or failed transiently is retried.
   * @defaultValue 15
   */
  retryInterval: number;
  /**
   * Seconds between full drift resyncs (watches cover the time between).
   * @defaultValue 300
   */
  resyncInterval: number;
  /** Overrides every document's drift policy. Unset follows each document. */
  driftMode?: 'correct' | 'alert';
  /**
   * Largest share (0..1) of the inventory one sync may delete.
   * @defaultValue 0.5
   */
  pruneLimit: number;
  /**
   * Seconds to wait for applied objects to become ready (0 reads readiness once).
   * @defaultValue 0 (daemon); `netfleet agent --once` passes its own
   */
  healthTimeout: number;
  /**
   * Address of the `/healthz`, `/readyz` and `/metrics` listener, `host:port`.
   * @defaultValue '0.0.0.0:8080'
   */
  listen: string;
  /** File holding the git token (sent as HTTP basic auth). */
  gitTokenFile?: string;
  /** PEM file of extra CA certificates for the git server. */
  gitCaFile?: string;
  /** SSH repositories: file holding the private deploy key (OpenSSH or PEM). */
  gitSshKeyFile?: string;
  /** SSH repositories: file holding the deploy key's passphrase, when the key is encrypted. */
  gitSshPassphraseFile?: string;
  /** SSH repositories: known_hosts file that must hold the server's host key (never trusted on first use). */
  gitSshKnownHostsFile?: string;
  /**
   * Commit signature verification.
   * @defaultValue 'off'
   */
  verify: 'off' | 'warn' | 'enforce';
  /** Files of trusted signing keys: ASCII-armored OpenPGP keys or SSH public key lines. */
  trustedKeys: string[];
  /** The credentials file `netfleet register` wrote for this cluster. */
  hubCredentials?: string;
  /**
   * Base URL of the hub API. With `hubCredentials`, the agent reports to the hub over HTTPS
   * and applies the revision the hub assigns this cluster (rollouts) instead of the branch
   * head. Unset: no hub, follows the branch.
   */
  hubUrl?: string;
  /**
   * Directory of the report spool and sequence file (keep it on a persistent volume).
   * @defaultValue '~/.local/state/netfleet/spool'
   */
  spoolDir: string;
  /**
   * Seconds between link checks (IstioFederation / IstioMulticluster states and peer probes).
   * @defaultValue 60
   */
  linkInterval: number;
  /**
   * Seconds after which a link's last successful metadata exchange counts as stale (DKP refreshes every minute).
   * @defaultValue 180
   */
  linkStaleAfter: number;
  /**
   * Probe each peer's public metadata endpoint (status, latency, certificate expiry, identity).
   * @defaultValue true
   */
  linkProbes: boolean;
  /**
   * Seconds one peer probe may take, connection to last byte.
   * @defaultValue 5
   */
  linkProbeTimeout: number;
  /**
   * Peer probes in flight at once.
   * @defaultValue 8
   */
  linkProbeConcurrency: number;
  /** PEM file of extra CA certificates trusted for peers' metadata endpoints. */
  linkProbeCaFile?: string;
}

/** Where each option came from; flags beat the environment, which beats the file. */
export interface OptionSources {
  flags?: Partial<Record<keyof AgentOptions, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of a YAML config file with the same keys as the flags (camelCase). */
  configFile?: string;
}

/** The environment variable of each option. */
export const ENV_NAMES: Record<keyof AgentOptions, string> = {
  repo: 'NETFLEET_REPO', branch: 'NETFLEET_BRANCH', cluster: 'NETFLEET_CLUSTER', kubeconfig: 'NETFLEET_KUBECONFIG', context: 'NETFLEET_KUBE_CONTEXT',
  inCluster: 'NETFLEET_IN_CLUSTER', namespace: 'NETFLEET_NAMESPACE', cacheDir: 'NETFLEET_CACHE_DIR',
  interval: 'NETFLEET_INTERVAL', retryInterval: 'NETFLEET_RETRY_INTERVAL', resyncInterval: 'NETFLEET_RESYNC_INTERVAL',
  driftMode: 'NETFLEET_DRIFT_MODE', pruneLimit: 'NETFLEET_PRUNE_LIMIT', healthTimeout: 'NETFLEET_HEALTH_TIMEOUT',
  listen: 'NETFLEET_LISTEN', gitTokenFile: 'NETFLEET_GIT_TOKEN_FILE', gitCaFile: 'NETFLEET_GIT_CA_FILE',
  gitSshKeyFile: 'NETFLEET_GIT_SSH_KEY_FILE', gitSshPassphraseFile: 'NETFLEET_GIT_SSH_PASSPHRASE_FILE',
  gitSshKnownHostsFile: 'NETFLEET_GIT_SSH_KNOWN_HOSTS_FILE',
  verify: 'NETFLEET_VERIFY', trustedKeys: 'NETFLEET_TRUSTED_KEYS',
  hubCredentials: 'NETFLEET_HUB_CREDENTIALS', hubUrl: 'NETFLEET_HUB_URL', spoolDir: 'NETFLEET_SPOOL_DIR',
  linkInterval: 'NETFLEET_LINK_INTERVAL', linkStaleAfter: 'NETFLEET_LINK_STALE_AFTER', linkProbes: 'NETFLEET_LINK_PROBES',
  linkProbeTimeout: 'NETFLEET_LINK_PROBE_TIMEOUT', linkProbeConcurrency: 'NETFLEET_LINK_PROBE_CONCURRENCY', linkProbeCaFile: 'NETFLEET_LINK_PROBE_CA_FILE',
};

/** Every default, in one place. */
export function defaultAgentOptions(env: NodeJS.ProcessEnv = process.env): Omit<AgentOptions, 'repo' | 'cluster'> {
  return {
    branch: 'main', inCluster: false, namespace: env.POD_NAMESPACE || 'netfleet-system',
    cacheDir: join(homedir(), '.cache', 'netfleet', 'git'), interval: 60, retryInterval: 15, resyncInterval: 300,
    pruneLimit: 0.5, healthTimeout: 0, listen: '0.0.0.0:8080', verify: 'off', trustedKeys: [],
    spoolDir: join(homedir(), '.local', 'state', 'netfleet', 'spool'),
    linkInterval: 60, linkStaleAfter: 180, linkProbes: true, linkProbeTimeout: 5, linkProbeConcurrency: 8,
  };
}

/** Merges the sources over the defaults and checks every value. */
export async function resolveAgentOptions(sources: OptionSources): Promise<AgentOptions> {
  const env = sources.env ?? process.env;
  const file = sources.configFile ? await readConfigFile(sources.configFile) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = key === 'trustedKeys' ? value.split(',') : value;
  }
  if (fromEnv.kubeconfig === undefined && env.KUBECONFIG) fromEnv.kubeconfig = env.KUBECONFIG;
  const flags = Object.fromEntries(Object.entries(sources.flags ?? {}).filter(([, value]) => value !== undefined));
  const merged: Record<string, unknown> = { ...defaultAgentOptions(env), ...file, ...fromEnv, ...flags };
  return checkOptions(merged);
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AgentConfigError(`cannot read the config file ${path}: ${describeFileError(cause)}`, 'pass an existing file with --config');
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    throw new AgentConfigError(describeYamlError(cause, path), 'fix the YAML of the --config file');
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AgentConfigError(`${path}: expected a mapping of option names to values`, 'see `netfleet agent --help` for the option names');
  }
  const unknown = Object.keys(value).filter((key) => !(key in ENV_NAMES));
  if (unknown.length > 0) {
    throw new AgentConfigError(`${path}: unknown option(s) ${unknown.join(', ')}`, `known options: ${Object.keys(ENV_NAMES).join(', ')}`);
  }
  return value as Record<string, unknown>;
}

function checkOptions(raw: Record<string, unknown>): AgentOptions {
  const text = (key: keyof AgentOptions, required = false): string | undefined => {
    const value = raw[key];
    if (value === undefined) {
      if (required) throw new AgentConfigError(`missing option ${key}`, `pass --${kebab(key)} or set ${ENV_NAMES[key]}`);
      return undefined;
    }
    return String(value);
  };
  const number = (key: keyof AgentOptions, min: number, max = Infinity): number => {
    const value = Number(raw[key]);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new AgentConfigError(`option ${key} is ${JSON.stringify(raw[key])}; expected a number from ${min} to ${max}`, `fix --${kebab(key)} or ${ENV_NAMES[key]}`);
    }
    return value;
  };
  const oneOf = <T extends string>(key: keyof AgentOptions, values: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!values.includes(value as T)) throw new AgentConfigError(`option ${key} is "${value}"; expected one of ${values.join(', ')}`, `fix --${kebab(key)} or ${ENV_NAMES[key]}`);
    return value as T;
  };
  // Refused with the other options rather than once the daemon starts listening.
  parseListen(text('listen')!);
  const options: AgentOptions = {
    repo: text('repo', true)!,
    branch: text('branch')!,
    cluster: text('cluster', true)!,
    inCluster: raw.inCluster === true || raw.inCluster === 'true',
    namespace: text('namespace')!,
    cacheDir: text('cacheDir')!,
    interval: number('interval', 1),
    retryInterval: number('retryInterval', 1),
    resyncInterval: number('resyncInterval', 1),
    pruneLimit: number('pruneLimit', 0, 1),
    healthTimeout: number('healthTimeout', 0),
    listen: text('listen')!,
    verify: oneOf('verify', ['off', 'warn', 'enforce'] as const)!,
    trustedKeys: Array.isArray(raw.trustedKeys) ? raw.trustedKeys.map(String) : [],
    spoolDir: '',
    linkInterval: number('linkInterval', 1),
    linkStaleAfter: number('linkStaleAfter', 1),
    linkProbes: raw.linkProbes !== false && raw.linkProbes !== 'false',
    linkProbeTimeout: number('linkProbeTimeout', 0.1, 300),
    linkProbeConcurrency: Math.floor(number('linkProbeConcurrency', 1, 256)),
  };
  const kubeconfig = text('kubeconfig');
  if (kubeconfig) options.kubeconfig = kubeconfig;
  const context = text('context');
  if (context) options.context = context;
  const driftMode = oneOf('driftMode', ['correct', 'alert'] as const);
  if (driftMode) options.driftMode = driftMode;
  const gitTokenFile = text('gitTokenFile');
  if (gitTokenFile) options.gitTokenFile = gitTokenFile;
  const gitCaFile = text('gitCaFile');
  if (gitCaFile) options.gitCaFile = gitCaFile;
  for (const key of ['gitSshKeyFile', 'gitSshPassphraseFile', 'gitSshKnownHostsFile'] as const) {
    const value = text(key);
    if (value) options[key] = value;
  }
  if (parseRepositoryUrl(options.repo)?.kind === 'ssh' && (!options.gitSshKeyFile || !options.gitSshKnownHostsFile)) {
    throw new AgentConfigError(`repo ${options.repo} is an SSH URL: it needs a deploy key and the server's host key`,
      'pass --git-ssh-key-file and --git-ssh-known-hosts-file (a known_hosts line from ssh-keyscan, checked against the fingerprint your git host publishes)');
  }
  const linkProbeCaFile = text('linkProbeCaFile');
  if (linkProbeCaFile) options.linkProbeCaFile = linkProbeCaFile;
  options.spoolDir = text('spoolDir')!;
  const hubCredentials = text('hubCredentials');
  const hubUrl = text('hubUrl');
  if (hubCredentials && !hubUrl) throw new AgentConfigError('hubCredentials needs the hub\'s URL', 'pass --hub-url with --hub-credentials to report to a hub, or neither');
  if (hubUrl) {
    if (!hubCredentials) throw new AgentConfigError('hubUrl needs the cluster\'s credentials', 'pass --hub-credentials with --hub-url');
    options.hubCredentials = hubCredentials;
    if (!/^https?:\/\//.test(hubUrl)) throw new AgentConfigError(`option hubUrl is "${hubUrl}"; expected an http:// or https:// URL`, `fix --hub-url or ${ENV_NAMES.hubUrl}`);
    if (!parseRepositoryUrl(options.repo)) throw new AgentConfigError('hubUrl needs a git repository URL for repo: a local directory cannot apply an assigned revision', 'pass an https:// or SSH URL with --repo, or drop --hub-url');
    options.hubUrl = hubUrl;
  }
  if (options.verify === 'enforce' && options.trustedKeys.length === 0) {
    throw new AgentConfigError('verify is enforce but no trusted keys are given', 'pass --trusted-key FILE (repeatable)');
  }
  return options;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
