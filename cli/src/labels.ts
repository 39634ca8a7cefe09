import { NetfleetError } from '@netfleet/shared';

/** Collects a repeatable option's values (commander's argParser). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--label key=value` options as a map; a value without `=` is refused. */
export function parseLabels(values: readonly string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of values ?? []) {
    const equals = label.indexOf('=');
    if (equals <= 0) throw new NetfleetError('CLI_INVALID_LABEL', `label ${label} is not key=value`, { hint: 'e.g. --label tier=prod' });
    labels[label.slice(0, equals)] = label.slice(equals + 1);
  }
  return labels;
}
