import type { BlackoutWindow, WeeklyBlackout, Weekday } from './policy.js';

/** Whether an instant falls in a blackout window, and when the blackout ends. */
export interface BlackoutStatus {
  active: boolean;
  /** When no window covers time any more (ms since the epoch); null when not active. */
  endsAt: number | null;
  /** Names (or indexes) of the windows covering the instant. */
  windows: string[];
}

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** A window chain longer than this is a configuration that never ends (e.g. every day, all day). */
const MAX_LOOKAHEAD_MS = 366 * 24 * 3600_000;

/**
 * The blackout status at `at` (ms since the epoch). Weekly windows are read in their own
 * time zone through Intl, so daylight-saving changes are honoured; windows that touch or
 * overlap are chained, so `endsAt` is the first instant no window covers.
 */
export function blackoutAt(windows: readonly BlackoutWindow[], at: number): BlackoutStatus {
  const covering = windows.flatMap((window, index) => (windowEnd(window, at) === null ? [] : [window.name ?? `#${index}`]));
  if (covering.length === 0) return { active: false, endsAt: null, windows: [] };
  return { active: true, endsAt: findEnd(windows, at), windows: covering };
}

/** Chain from window end to window end until an instant no window covers, then sharpen. */
function findEnd(windows: readonly BlackoutWindow[], at: number): number | null {
  let inside = at;
  let candidate = latestEnd(windows, at)!;
  while (latestEnd(windows, candidate) !== null) {
    if (candidate - at > MAX_LOOKAHEAD_MS) return null;
    inside = candidate;
    candidate = latestEnd(windows, candidate)!;
  }
  return sharpen(windows, inside, candidate);
}

function latestEnd(windows: readonly BlackoutWindow[], at: number): number | null {
  const ends = windows.map((window) => windowEnd(window, at)).filter((end): end is number => end !== null);
  return ends.length === 0 ? null : Math.max(...ends);
}

/**
 * A weekly end computed in wall-clock minutes can overshoot by the hour a clock skips in
 * spring; bisect (to the millisecond) for the first instant after `from` no window covers.
 */
function sharpen(windows: readonly BlackoutWindow[], from: number, outside: number): number {
  let low = from;
  let high = outside;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (latestEnd(windows, middle) !== null) low = middle;
    else high = middle;
  }
  return high;
}

/** If `window` covers `at`, the instant it ends; otherwise null. */
function windowEnd(window: BlackoutWindow, at: number): number | null {
  if (window.kind === 'dates') {
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    return at >= start && at < end ? end : null;
  }
  return weeklyEnd(window, at);
}

function weeklyEnd(window: WeeklyBlackout, at: number): number | null {
  const now = localMinuteOfWeek(at, window.timeZone);
  const start = parseClock(window.start);
  let end = parseClock(window.end);
  if (end <= start) end += MINUTES_PER_DAY;
  for (const day of window.days) {
    const from = WEEKDAYS.indexOf(day) * MINUTES_PER_DAY + start;
    const until = from + (end - start);
    // A window late on Sunday runs into Monday: look at now and now one week later.
    for (const minute of [now, now + MINUTES_PER_WEEK]) {
      if (minute >= from && minute < until) return at + Math.round((until - minute) * 60_000);
    }
  }
  return null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since Monday 00:00 local time in `timeZone`, with fractions for seconds. */
function localMinuteOfWeek(at: number, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, weekday: 'short', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  const day = WEEKDAYS.indexOf(String(parts.weekday).slice(0, 3).toLowerCase() as Weekday);
  const milliseconds = at - Math.floor(at / 1000) * 1000;
  return day * MINUTES_PER_DAY + Number(parts.hour) * 60 + Number(parts.minute) + (Number(parts.second) + milliseconds / 1000) / 60;
}

/** `HH:MM` → minutes after midnight (`24:00` → 1440). */
function parseClock(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}
