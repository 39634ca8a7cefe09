import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { RedisUrlError, compileValidator, parseRedisUrl } from '@netfleet/shared';
import { HubError, HubErrorCode } from './errors.js';
import type { HubOptions } from './options.js';
import type { SinkConfig } from './alerts/sinks.js';

const SinkSchema = Type.Object({
  type: Type.Union([Type.Literal('webhook'), Type.Literal('slack'), Type.Literal('alertmanager')]),
  name: Type.String({ pattern: '^[a-z0-9][-a-z0-9]*$' }),
  /** The URL, or `urlFile` holding it (Slack webhook URLs are secrets). */
  url: Type.Optional(Type.String()),
  urlFile: Type.Optional(Type.String()),
  /** Webhook signing secret, or `secretFile` holding it. */
  secret: Type.Optional(Type.String()),
  secretFile: Type.Optional(Type.String()),
}, { additionalProperties: false });

/** The fleet repository rollouts follow; credentials come from files. */
const FleetRepoSchema = Type.Object({
  url: Type.String(),
  branch: Type.Optional(Type.String()),
  intervalMs: Type.Optional(Type.Integer({ minimum: 1000 })),
  /** Directory (one per replica) of the git object cache rollout policies are read from. */
  cacheDir: Type.String(),
  /** A token (sent as the basic-auth password), or a username with a password file; files are re-read on each request. */
  tokenFile: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  passwordFile: Type.Optional(Type.String()),
  /** SSH URLs: the deploy key, its passphrase when encrypted, and the known_hosts file holding the server's host key. */
  sshKeyFile: Type.Optional(Type.String()),
  sshPassphraseFile: Type.Optional(Type.String()),
  knownHostsFile: Type.Optional(Type.String()),
  /** PEM file of CA certificates trusted for HTTPS, on top of the system roots. */
  caFile: Type.Optional(Type.String()),
}, { additionalProperties: false });

/**
 * The hub's config file (YAML or JSON), also the shape flags and env are merged into.
 * Secrets are read from files so they stay out of the config and the process list.
 */
export const HubConfigSchema = Type.Object({
  redisUrl: Type.Optional(Type.String()),
  /** File holding the Redis password (`requirepass`), when the URL carries none. */
  redisPasswordFile: Type.Optional(Type.String()),
  prefix: Type.Optional(Type.String()),
  /** `host:port` of the API. */
  listen: Type.Optional(Type.String()),
  publicUrl: Type.Optional(Type.String()),
  /** PEM files of the API's TLS key and certificate chain: the API serves HTTPS. */
  tlsKeyFile: Type.Optional(Type.String()),
  tlsCertFile: Type.Optional(Type.String()),
  secretFile: Type.Optional(Type.String()),
  /** Files with one token per line. */
  adminTokensFile: Type.Optional(Type.String()),
  readTokensFile: Type.Optional(Type.String()),
  heartbeatIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
  sweepIntervalMs: Type.Optional(Type.Integer({ minimum: 10 })),
  leaseTtlMs: Type.Optional(Type.Integer({ minimum: 100 })),
  ingestConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  eventsCap: Type.Optional(Type.Integer({ minimum: 1 })),
  auditCap: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  rolloutsKept: Type.Optional(Type.Integer({ minimum: 0 })),
  requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 600_000 })),
  alertRepeatIntervalMs: Type.Optional(Type.Integer({ minimum: 1000 })),
  sinks: Type.Optional(Type.Array(SinkSchema)),
  fleetRepo: Type.Optional(FleetRepoSchema),
  /** File with the shared secret of the push webhook (`POST /api/v1/webhooks/git`). */
  webhookSecretFile: Type.Optional(Type.String()),
}, { additionalProperties: false });

export type HubConfig = Static<typeof HubConfigSchema>;

const configValidator = compileValidator('hub config', HubConfigSchema);

/** Where each layer comes from; later layers win: file < env < flags. */
export interface HubConfigLayers {
  /** Parsed config file content and its path (for error messages). */
  file?: { path: string; content: unknown };
  env: NodeJS.ProcessEnv;
  flags: Partial<HubConfig>;
}

/** Reads `NETFLEET_HUB_*` variables; `NETFLEET_HUB_SECRET` may hold the secret itself. */
function fromEnv(env: NodeJS.ProcessEnv): Partial<HubConfig> {
  const pick = (name: string) => env[`NETFLEET_HUB_${name}`] || undefined;
  const number = (name: string) => (pick(name) === undefined ? undefined : Number(pick(name)));
  return Object.fromEntries(Object.entries({
    redisUrl: pick('REDIS_URL'), redisPasswordFile: pick('REDIS_PASSWORD_FILE'), tlsKeyFile: pick('TLS_KEY_FILE'), tlsCertFile: pick('TLS_CERT_FILE'),
    prefix: pick('PREFIX'), listen: pick('LISTEN'), publicUrl: pick('PUBLIC_URL'),
    secretFile: pick('SECRET_FILE'), adminTokensFile: pick('ADMIN_TOKENS_FILE'), readTokensFile: pick('READ_TOKENS_FILE'),
    heartbeatIntervalMs: number('HEARTBEAT_INTERVAL_MS'),
  }).filter(([, value]) => value !== undefined));
}

async function readSecret(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new HubError(HubErrorCode.Config, `cannot read the ${what} file ${path}`, { hint: 'check the path and its permissions', cause: error });
  }
}

async function readTokens(path: string | undefined, what: string): Promise<string[]> {
  if (!path) return [];
  return (await readSecret(path, what)).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
}

/** Merges file, env and flags, validates the result, and reads the secret files. */
export async function resolveHubConfig(layers: HubConfigLayers): Promise<{ options: HubOptions; listen: { host: string; port: number } }> {
  if (layers.file) {
    try {
      configValidator.assert(layers.file.content ?? {});
    } catch (error) {
      throw new HubError(HubErrorCode.Config, `${layers.file.path}: ${(error as Error).message}`, { hint: 'see docs/hub.md for the config keys' });
    }
  }
  const flags = Object.fromEntries(Object.entries(layers.flags).filter(([, value]) => value !== undefined));
  const merged = configValidator.assert({ ...(layers.file?.content as object | undefined), ...fromEnv(layers.env), ...flags });
  if (merged.redisUrl) checkRedisUrl(merged.redisUrl);

  const secret = layers.env.NETFLEET_HUB_SECRET
    ?? (merged.secretFile ? await readSecret(merged.secretFile, 'hub secret') : undefined);
  if (!secret) {
    throw new HubError(HubErrorCode.Config, 'no hub secret configured', {
      hint: 'set secretFile in the config, --secret-file, NETFLEET_HUB_SECRET_FILE or NETFLEET_HUB_SECRET (e.g. `openssl rand -hex 32`)',
    });
  }
  const sinks: SinkConfig[] = [];
  for (const sink of merged.sinks ?? []) {
    const url = sink.url ?? (sink.urlFile ? await readSecret(sink.urlFile, `sink ${sink.name} URL`) : undefined);
    if (!url) throw new HubError(HubErrorCode.Config, `sink ${sink.name} has neither url nor urlFile`);
    const secretValue = sink.secret ?? (sink.secretFile ? await readSecret(sink.secretFile, `sink ${sink.name} secret`) : undefined);
    sinks.push(sink.type === 'webhook' ? { type: 'webhook', name: sink.name, url, ...(secretValue ? { secret: secretValue } : {}) } : { type: sink.type, name: sink.name, url });
  }
  const listen = /^(.*):(\d+)$/.exec(merged.listen ?? '0.0.0.0:8080');
  if (!listen) throw new HubError(HubErrorCode.Config, `listen must be host:port, got ${merged.listen}`);
  if ((merged.tlsKeyFile === undefined) !== (merged.tlsCertFile === undefined)) {
    throw new HubError(HubErrorCode.Config, 'tlsKeyFile and tlsCertFile go together', { hint: 'set both to serve HTTPS, or neither' });
  }
  const {
    listen: _listen, secretFile: _secretFile, adminTokensFile, readTokensFile, sinks: _sinks, fleetRepo, webhookSecretFile,
    redisPasswordFile, tlsKeyFile, tlsCertFile, ...rest
  } = merged;
  return {
    options: {
      ...rest, secret, sinks,
      ...(redisPasswordFile ? { redisPassword: await readSecret(redisPasswordFile, 'Redis password') } : {}),
      ...(tlsKeyFile && tlsCertFile
        ? { tls: { key: await readSecret(tlsKeyFile, 'TLS key'), cert: await readSecret(tlsCertFile, 'TLS certificate') } }
        : {}),
      ...(fleetRepo ? { fleetRepo: await fleetRepoOptions(fleetRepo) } : {}),
      ...(webhookSecretFile ? { webhookSecret: await readSecret(webhookSecretFile, 'webhook secret') } : {}),
      adminTokens: await readTokens(adminTokensFile, 'admin tokens'),
      readTokens: await readTokens(readTokensFile, 'read tokens'),
    },
    listen: { host: listen[1]!, port: Number(listen[2]) },
  };
}

/** Fails at startup, as a config error, on a Redis URL the hub could not connect with. */
function checkRedisUrl(url: string): void {
  try {
    parseRedisUrl(url);
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    throw new HubError(HubErrorCode.Config, `redisUrl: ${error.message}`, {
      hint: `fix redisUrl in the config, --redis-url or NETFLEET_HUB_REDIS_URL; ${error.hint}`,
    });
  }
}

async function fleetRepoOptions(repo: Static<typeof FleetRepoSchema>): Promise<NonNullable<HubOptions['fleetRepo']>> {
  const { tokenFile, username, passwordFile, sshKeyFile, sshPassphraseFile, ...rest } = repo;
  // Read once now, so a missing secret stops the hub at start; the git source re-reads the
  // file on each request, so a rotated secret is picked up.
  for (const [file, what] of [[tokenFile, 'token'], [passwordFile, 'password'], [sshKeyFile, 'SSH key'], [sshPassphraseFile, 'SSH key passphrase']] as const) {
    if (file) await readSecret(file, `fleet repository ${what}`);
  }
  if (sshKeyFile) return { ...rest, auth: { sshKey: { file: sshKeyFile }, ...(sshPassphraseFile ? { passphrase: { file: sshPassphraseFile } } : {}) } };
  if (tokenFile) return { ...rest, auth: { token: { file: tokenFile } } };
  if (username && passwordFile) return { ...rest, auth: { username, password: { file: passwordFile } } };
  if (username || passwordFile) throw new HubError(HubErrorCode.Config, 'fleetRepo needs both username and passwordFile, or tokenFile');
  return rest;
}
