import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { NetfleetError, createLogger, describeFileError, describeListenError, describeYamlError } from '@netfleet/shared';
import { Hub, resolveHubConfig, type HubConfig } from '@netfleet/hub';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';

/**
 * Runs the hub until `signal` aborts, then stops gracefully. Prints the API address once
 * it listens.
 */
export async function runHub(flags: Record<string, unknown>, io: CliIO, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { config: configFile, logLevel, ...rest } = flags as { config?: string; logLevel?: string } & Partial<HubConfig>;
  let file: { path: string; content: unknown } | undefined;
  if (configFile) {
    let text: string;
    try {
      text = await readFile(configFile, 'utf8');
    } catch (error) {
      throw new NetfleetError('HUB_CONFIG_INVALID', `cannot read the config file ${configFile}: ${describeFileError(error)}`, { hint: 'check the --config path', cause: error });
    }
    let content: unknown;
    try {
      content = parse(text);
    } catch (error) {
      throw new NetfleetError('HUB_CONFIG_INVALID', describeYamlError(error, configFile), { hint: 'fix the YAML of the --config file', cause: error });
    }
    file = { path: configFile, content };
  }
  const { options, listen } = await resolveHubConfig({ file, env, flags: {
    ...rest,
    heartbeatIntervalMs: rest.heartbeatIntervalMs === undefined ? undefined : Number(rest.heartbeatIntervalMs),
  } });
  const logger = createLogger({ name: 'netfleet-hub', ...(logLevel ? { level: logLevel } : {}) });
  const hub = new Hub({ ...options, logger });
  const api = await hub.api();
  await hub.start();
  let address: string;
  try {
    address = await api.listen({ host: listen.host, port: listen.port });
  } catch (error) {
    await hub.close();
    const reason = describeListenError(error);
    if (!reason) throw error;
    throw new NetfleetError('HUB_CONFIG_INVALID', `cannot serve the hub API on ${listen.host}:${listen.port}: ${reason}`, { hint: 'pick another address with --listen or NETFLEET_HUB_LISTEN' });
  }
  io.stdout.write(`netfleet hub listening on ${address}\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write('netfleet hub stopping\n');
  await hub.close();
  return ExitCode.Ok;
}

/** `netfleet hub`: the hub daemon (ingest, state, alerts, API). */
export const hubCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .option('--config <file>', 'YAML or JSON config file (keys: see docs/hub.md)')
      .option('--redis-url <url>', 'Redis: redis://, rediss://, redis-sentinel://h1,h2/master or redis-cluster://h1,h2 (NETFLEET_HUB_REDIS_URL; default redis://127.0.0.1:6379)')
      .option('--listen <host:port>', 'API address (NETFLEET_HUB_LISTEN; default 0.0.0.0:8080)')
      .option('--public-url <url>', 'public base URL, for links in alerts (NETFLEET_HUB_PUBLIC_URL)')
      .option('--secret-file <file>', 'file with the hub secret report keys derive from (NETFLEET_HUB_SECRET_FILE)')
      .option('--admin-tokens-file <file>', 'file with admin tokens, one per line (NETFLEET_HUB_ADMIN_TOKENS_FILE)')
      .option('--read-tokens-file <file>', 'file with read-only tokens, one per line (NETFLEET_HUB_READ_TOKENS_FILE)')
      .option('--heartbeat-interval-ms <ms>', 'agents\' heartbeat interval; offline after two missed (default 30000)')
      .option('--log-level <level>', 'pino level (default info)')
      .addHelpText('after', '\nStops gracefully on SIGTERM or SIGINT.\nExit codes: 0 stopped, 2 bad configuration.');
  },

  async run(flags, _args, io) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      return await runHub(flags, io, controller.signal);
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  },
};
