import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { FormatRegistry, type TSchema, type Static } from '@sinclair/typebox';
import { NetfleetError } from '../errors.js';
import {
  ReportBodySchemas, ReportEnvelopeSchema, RegistrationRequestSchema, CredentialsSchema, ReportKind, type Report, type SyncBody,
} from './schemas.js';
import { reasonStatus } from './sync-status.js';

// TypeBox checks formats only when registered; the protocol uses date-time alone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}

/** A value that does not match a protocol schema: `field` is the JSON pointer of the first problem. */
export class ProtocolError extends NetfleetError {
  readonly field: string;
  constructor(what: string, field: string, expected: string) {
    super('PROTOCOL_INVALID', `invalid ${what}: field '${field || '/'}' ${expected}`, {
      hint: 'the sender and the hub must speak the same protocol version (see docs/protocol.md)',
    });
    this.field = field;
  }
}

/** A compiled validator: `check` narrows, `assert` throws a ProtocolError naming the field. */
export interface Validator<T> {
  check(value: unknown): value is T;
  assert(value: unknown): T;
}

/**
 * A validator of `schema`, compiled the first time it checks a value: a process holds the
 * compiled code (and its source text) of only the schemas it uses, and starts sooner.
 */
export function compileValidator<S extends TSchema>(what: string, schema: S, pathPrefix = ''): Validator<Static<S>> {
  let compiled: TypeCheck<S> | undefined;
  const checker = () => (compiled ??= TypeCompiler.Compile(schema));
  return {
    check: (value): value is Static<S> => checker().Check(value),
    assert(value) {
      if (checker().Check(value)) return value;
      const first = checker().Errors(value).First();
      throw new ProtocolError(what, `${pathPrefix}${first?.path ?? ''}`, first ? first.message.toLowerCase() : 'is invalid');
    },
  };
}

const envelopeValidator = compileValidator('report', ReportEnvelopeSchema);
const bodyValidators = Object.fromEntries(
  Object.values(ReportKind).map((kind) => [kind, compileValidator(`${kind} report`, ReportBodySchemas[kind], '/body')]),
) as Record<ReportKind, Validator<unknown>>;

/** The sync-status contract: a sync body's status must be its reason's (reasonStatus), or undefined when it is. */
function syncStatusProblem(report: Report): string | undefined {
  if (report.kind !== ReportKind.Sync) return undefined;
  const { status, reason } = report.body as SyncBody;
  const expected = reasonStatus[reason];
  return status === expected ? undefined : `must be '${expected}' for reason ${reason}, got '${status}' (the sync-status table in docs/protocol.md)`;
}

/** Reports: the envelope first, then the body of its kind, then the sync-status contract, so an error names the exact field. */
export const reportValidator: Validator<Report> = {
  check: (value): value is Report => envelopeValidator.check(value) && bodyValidators[value.kind].check(value.body)
    && syncStatusProblem(value as Report) === undefined,
  assert(value) {
    const report = envelopeValidator.assert(value);
    bodyValidators[report.kind].assert(report.body);
    const problem = syncStatusProblem(report as Report);
    if (problem) throw new ProtocolError('sync report', '/body/status', problem);
    return report as Report;
  },
};
export const registrationRequestValidator = compileValidator('registration request', RegistrationRequestSchema);
export const credentialsValidator = compileValidator('credentials', CredentialsSchema);
