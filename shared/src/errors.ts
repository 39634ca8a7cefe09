import { YAMLError } from 'yaml';

/**
 * Base class of every error netfleet raises on purpose. `code` is stable and prefixed
 * by area (`CONFIG_`, `AGENT_`, `HUB_`, ...); `hint` tells the user what to do next.
 * Anything that is not a NetfleetError reaching the top level is a bug.
 */
export class NetfleetError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/**
 * A file system error as a person reads it: `no such file or directory` rather than
 * `ENOENT: no such file or directory, open '/x'` (the caller names the file and its flag).
 */
export function describeFileError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

/**
 * Where and why a YAML file does not parse, as `FILE:LINE:COL: not valid YAML: reason`, for
 * the caller's own error; the `yaml` library's message repeats the position and a code frame.
 */
export function describeYamlError(error: unknown, path: string): string {
  if (!(error instanceof YAMLError)) return `${path}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`;
  const position = error.linePos?.[0];
  const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `${path}${position ? `:${position.line}:${position.col}` : ''}: not valid YAML: ${reason}`;
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'no such address on this machine',
  EACCES: 'permission denied',
};

/** Why a server could not listen, when the address given is to blame; undefined for anything else. */
export function describeListenError(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : LISTEN_FAILURES[code];
}
