import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A request's logger, made the first time the request logs. Most requests (the fleet's
 * reports, thousands a second) never log, and pino builds every child's bindings through
 * the redaction of secrets: made for each request, that was a steady share of the hub's garbage.
 */
class RequestLogger implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined;

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: ChildLoggerOptions) {}

  get made(): FastifyBaseLogger {
    this.#made ??= this.parent.child(this.bindings, this.options);
    return this.#made;
  }

  get level(): LevelWithSilentOrString {
    return this.made.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.made.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made.child(bindings, options);
  }

  // Methods of the class, not of each object: a request's logger is one small object, and
  // fastify's check that a factory's logger has every method finds them without making the child.
  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
  silent(...args: unknown[]): void { this.write('silent', args); }

  private write(method: LogMethod, args: unknown[]): void {
    (this.made[method] as (...values: unknown[]) => void).apply(this.made, args);
  }
}

/** fastify's `childLoggerFactory`: each request's logger is made only when the request logs. */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options);
}
