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
