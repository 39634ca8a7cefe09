import { Type, type Static } from '@sinclair/typebox';
import { ClusterSelector, DnsLabel, Strict } from './common.js';

const Duration = Type.String({ pattern: '^(?=[0-9])([0-9]+h)?([0-9]+m)?([0-9]+s)?$', expected: 'a duration such as "30m", "1h30m" or "45s"' });
const TimeOfDay = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', expected: 'a time of day "HH:MM"' });
const DateOrDateTime = Type.String({
  pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?$',
  expected: 'a date "YYYY-MM-DD" or a local date-time "YYYY-MM-DDTHH:MM"',
});
export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export const RolloutPolicySpec = Strict({
  waves: Type.Array(
    Strict({
      name: DnsLabel,
      selector: ClusterSelector,
      maxParallel: Type.Optional(
        Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^([1-9][0-9]?|100)%$' })], {
          expected: 'a count such as 2 or a percentage such as "25%"',
        }),
      ),
      bakeTime: Type.Optional(Duration),
      deadline: Type.Optional(Duration),
    }),
    { minItems: 1, description: 'Waves in order; a cluster belongs to the first wave that selects it.' },
  ),
  gates: Type.Optional(
    Strict(
      {
        appliedAndReady: Type.Optional(Type.Boolean()),
        noNewDrift: Type.Optional(Type.Boolean()),
        noNewLinkFailures: Type.Optional(Type.Boolean()),
        noCriticalAlerts: Type.Optional(Type.Boolean()),
      },
      { description: 'Checks a wave must pass for its whole bake time; all default to true.' },
    ),
  ),
  onFailure: Type.Union([Type.Literal('pause'), Type.Literal('rollback')]),
  unselectedClusters: Type.Union([Type.Literal('lastWave'), Type.Literal('excluded')], {
    description: 'What happens to clusters no wave selects; must be said explicitly.',
  }),
  blackouts: Type.Optional(
    Strict({
      timeZone: Type.String({ description: 'IANA time zone the windows are written in, such as "Europe/Berlin".' }),
      weekly: Type.Optional(
        Type.Array(Strict({ days: Type.Array(Type.Union(WEEKDAYS.map((day) => Type.Literal(day))), { minItems: 1 }), from: TimeOfDay, to: TimeOfDay })),
      ),
      dates: Type.Optional(Type.Array(Strict({ from: DateOrDateTime, to: DateOrDateTime }))),
    }),
  ),
});
export type RolloutPolicySpec = Static<typeof RolloutPolicySpec>;
