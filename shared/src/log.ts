import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Field names that must never reach a log line with their value. */
const REDACTED_PATHS = [
  'token', '*.token', 'password', '*.password', 'secret', '*.secret', 'key', '*.key',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
];

/**
 * The one way netfleet builds a logger: JSON lines (pino) with secrets redacted.
 * Callers add context with `logger.child({ cluster, revision, object })`.
 */
export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream } ): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env.NETFLEET_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[hidden]' },
  };
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}
