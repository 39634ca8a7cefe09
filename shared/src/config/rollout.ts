import { ProblemCode, type ConfigProblem } from './errors.js';
import type { ClusterInfo, MaxParallel, RolloutPolicy, TypedDocument } from './model.js';
import { checkSelector } from './selectors.js';
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

/** Checks a rollout policy beyond its schema and turns it into the value the hub uses. */
export function buildRolloutPolicy(
  { source, document }: TypedDocument<'RolloutPolicy'>,
  clusters: Map<string, ClusterInfo>,
  regions: Set<string>,
): { policy: RolloutPolicy; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const spec = document.spec;
  const waveNames = new Set<string>();
  spec.waves.forEach((wave, index) => {
    if (waveNames.has(wave.name)) {
      problems.push(problemAt(source, ProblemCode.DuplicateName, ['spec', 'waves', index, 'name'], JSON.stringify(wave.name), 'a wave name used once in the policy'));
    }
    waveNames.add(wave.name);
    for (const v of checkSelector(wave.selector, ['spec', 'waves', index, 'selector'], clusters, regions)) {
      problems.push(problemAt(source, v.code, v.path, v.found, v.expected));
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
    if (window.to < window.from) {
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
