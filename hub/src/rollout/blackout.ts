import type { DateWindow, RolloutPolicy, WeeklyWindow } from '@netfleet/shared';

/** The blackout windows of a rollout policy, all in one time zone. */
export type Blackouts = NonNullable<RolloutPolicy['blackouts']>;
type Weekday = WeeklyWindow['days'][number];

/** Whether an instant falls in a blackout window, and when the blackout ends. */
export interface BlackoutStatus {
  active: boolean;
  /** When no window covers time any more (ms since the epoch); null when not active or never. */
  endsAt: number | null;
}

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const WEEKDAYS: readonly Weekday[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
/** Windows chained for longer than this never end (e.g. every day, all day). */
const MAX_LOOKAHEAD_MS = 366 * 24 * 3600_000;

/**
 * The blackout status at `at` (ms since the epoch). Windows are read in the policy's time
 * zone through Intl, so daylight-saving changes are honoured; windows that touch or
 * overlap are chained, so `endsAt` is the first instant no window covers.
 */
export function blackoutAt(blackouts: Blackouts | undefined, at: number): BlackoutStatus {
  if (!blackouts || latestEnd(blackouts, at) === null) return { active: false, endsAt: null };
  return { active: true, endsAt: findEnd(blackouts, at) };
}

/** Chain from window end to window end until an instant no window covers, then sharpen. */
function findEnd(blackouts: Blackouts, at: number): number | null {
  let inside = at;
  let candidate = latestEnd(blackouts, at)!;
  while (latestEnd(blackouts, candidate) !== null) {
    if (candidate - at > MAX_LOOKAHEAD_MS) return null;
    inside = candidate;
    candidate = latestEnd(blackouts, candidate)!;
  }
  return sharpen(blackouts, inside, candidate);
}

/**
 * An end computed in wall-clock minutes can overshoot by the hour a clock skips in spring;
 * bisect for the first instant after `from` no window covers.
 */
function sharpen(blackouts: Blackouts, from: number, outside: number): number {
  let low = from;
  let high = outside;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (latestEnd(blackouts, middle) !== null) low = middle;
    else high = middle;
  }
  return high;
}

/** The latest end of the windows covering `at`, or null when none does. */
function latestEnd(blackouts: Blackouts, at: number): number | null {
  const ends = [
    ...blackouts.weekly.map((window) => weeklyEnd(window, blackouts.timeZone, at)),
    ...blackouts.dates.map((window) => datesEnd(window, blackouts.timeZone, at)),
  ].filter((end): end is number => end !== null);
  return ends.length === 0 ? null : Math.max(...ends);
}

function datesEnd(window: DateWindow, timeZone: string, at: number): number | null {
  const start = localToInstant(window.from, timeZone);
  // A bare `to` date covers that whole day.
  const end = window.to.includes('T') ? localToInstant(window.to, timeZone) : localToInstant(nextDay(window.to), timeZone);
  return at >= start && at < end ? end : null;
}

function weeklyEnd(window: WeeklyWindow, timeZone: string, at: number): number | null {
  const parts = zonedParts(at, timeZone);
  const now = parts.weekday * MINUTES_PER_DAY + parts.hour * 60 + parts.minute + (parts.second + (at % 1000) / 1000) / 60;
  // `to` names the last minute covered, so `00:00`–`23:59` is the whole day.
  const start = parseClock(window.from);
  const last = parseClock(window.to);
  const end = last + 1 + (last < start ? MINUTES_PER_DAY : 0);
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

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  /** 0 = Monday. */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zonedParts(at: number, timeZone: string): ZonedParts {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    weekday: WEEKDAYS.indexOf(String(parts.weekday) as Weekday),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
  };
}

/** `YYYY-MM-DD[THH:MM[:SS]]` local time in `timeZone` → ms since the epoch. */
function localToInstant(local: string, timeZone: string): number {
  const [date = '', time = '00:00'] = local.split('T');
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour = 0, minute = 0, second = 0] = time.split(':').map(Number);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  // The zone's offset at the guess, then at the corrected instant (they differ near a clock change).
  const offsetAt = (instant: number) => {
    const parts = zonedParts(instant, timeZone);
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(instant / 1000) * 1000;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

function nextDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
}

/** `HH:MM` → minutes after midnight. */
function parseClock(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}
