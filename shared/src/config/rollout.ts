import { ProblemCode, type ConfigProblem } from './errors.js';
import type { MaxParallel, RolloutPolicy, TypedDocument } from './model.js';
import { checkSelector, checkSelectsSome, selects, type Selectable } from './selectors.js';
import { problemAt } from './source.js';

/** `1h30m` → 5400. The schema has already checked the form. */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

function parseMaxParallel(value: number | string | undefined): MaxParallel | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { kind: 'count', count: value };
  return { kind: 'percent', percent: Number(value.slice(0, -1)) };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const MAX_LISTED = 5;

function listed(names: string[]): string {
  return names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more` : names.join(', ');
}

/** `2027-02-30` has the right form but no day: the month and day must exist in that year. */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Checks a rollout policy beyond its schema and turns it into the value the hub uses. */
export function buildRolloutPolicy(
  { source, document }: TypedDocument<'RolloutPolicy'>,
  clusters: ReadonlyMap<string, Selectable>,
  regions: ReadonlySet<string>,
): { policy: RolloutPolicy; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const spec = document.spec;
  const waveNames = new Set<string>();
  /** The wave each cluster belongs to so far: the first one that selects it. */
  const waveOf = new Map<string, string>();
  spec.waves.forEach((wave, index) => {
    const at = ['spec', 'waves', index];
    if (waveNames.has(wave.name)) {
      problems.push(problemAt(source, ProblemCode.DuplicateName, [...at, 'name'], JSON.stringify(wave.name), 'a wave name used once in the policy'));
    }
    waveNames.add(wave.name);
    const selectorProblems = checkSelector(wave.selector, [...at, 'selector'], clusters, regions);
    if (selectorProblems.length === 0) selectorProblems.push(...checkSelectsSome(wave.selector, [...at, 'selector'], [...clusters.values()], `the ${clusters.size} clusters`));
    for (const v of selectorProblems) problems.push(problemAt(source, v.code, v.path, v.found, v.expected));
    const selected = [...clusters.values()].filter((cluster) => selects(wave.selector, cluster)).map((cluster) => cluster.name);
    const own = selected.filter((name) => !waveOf.has(name));
    if (selected.length > 0 && own.length === 0 && !wave.selector.allowEmpty) {
      const earlier = [...new Set(selected.map((name) => waveOf.get(name)))].join(', ');
      problems.push(problemAt(source, ProblemCode.EmptyWave, [...at, 'selector'], `a wave whose clusters (${listed(selected)}) all belong to earlier waves (${earlier}): a cluster is in the first wave that selects it`, 'a wave with at least one cluster of its own, or allowEmpty: true in its selector'));
    }
    for (const name of own) waveOf.set(name, wave.name);
    if (wave.deadline !== undefined && parseDuration(wave.deadline) === 0) {
      problems.push(problemAt(source, ProblemCode.InvalidValue, [...at, 'deadline'], JSON.stringify(wave.deadline), 'a duration longer than 0s (leave deadline out for no limit)'));
    }
  });
  const blackouts = spec.blackouts;
  if (blackouts && !isTimeZone(blackouts.timeZone)) {
    problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'blackouts', 'timeZone'], JSON.stringify(blackouts.timeZone), 'an IANA time zone such as "Europe/Berlin" or "UTC"'));
  }
  blackouts?.weekly?.forEach((window, index) => {
    if (window.from === window.to) {
      problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'blackouts', 'weekly', index, 'to'], JSON.stringify(window.to), 'a time different from "from"'));
    }
  });
  blackouts?.dates?.forEach((window, index) => {
    const impossible = (['from', 'to'] as const).filter((end) => !isCalendarDate(window[end]));
    for (const end of impossible) {
      problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'blackouts', 'dates', index, end], JSON.stringify(window[end]), 'a date that exists in the calendar, such as "2026-12-24"'));
    }
    if (impossible.length === 0 && window.to < window.from) {
      problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'blackouts', 'dates', index, 'to'], JSON.stringify(window.to), `a date not before ${JSON.stringify(window.from)}`));
    }
  });
  const gates = spec.gates ?? {};
  return {
    problems,
    policy: {
      name: document.metadata.name,
      waves: spec.waves.map((wave) => ({
        name: wave.name,
        selector: wave.selector,
        maxParallel: parseMaxParallel(wave.maxParallel),
        bakeTimeSeconds: wave.bakeTime === undefined ? 0 : parseDuration(wave.bakeTime),
        deadlineSeconds: wave.deadline === undefined ? undefined : parseDuration(wave.deadline),
      })),
      gates: {
        appliedAndReady: gates.appliedAndReady ?? true,
        noNewDrift: gates.noNewDrift ?? true,
        noNewLinkFailures: gates.noNewLinkFailures ?? true,
        noCriticalAlerts: gates.noCriticalAlerts ?? true,
      },
      onFailure: spec.onFailure,
      unselectedClusters: spec.unselectedClusters,
      blackouts: blackouts && { timeZone: blackouts.timeZone, weekly: blackouts.weekly ?? [], dates: blackouts.dates ?? [] },
      source: { file: source.file, document: `RolloutPolicy/${document.metadata.name}` },
    },
  };
}
