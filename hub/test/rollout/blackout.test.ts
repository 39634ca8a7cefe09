import { describe, expect, it } from 'vitest';
import type { DateWindow, WeeklyWindow } from '@netfleet/shared';
import { blackoutAt, type Blackouts } from '../../src/rollout/blackout.js';

const berlin = (weekly: WeeklyWindow[], dates: DateWindow[] = []): Blackouts => ({ timeZone: 'Europe/Berlin', weekly, dates });
/** Friday 18:00 until Monday 06:00, Berlin time, as chained windows (`to` is the last minute covered). */
const weekend = berlin([
  { days: ['Fri'], from: '18:00', to: '23:59' },
  { days: ['Sat', 'Sun'], from: '00:00', to: '23:59' },
  { days: ['Mon'], from: '00:00', to: '05:59' },
]);
const nights: Blackouts = { timeZone: 'America/New_York', weekly: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '22:00', to: '05:59' }], dates: [] };
const yearEnd = berlin([], [{ from: '2026-12-20', to: '2027-01-03' }]);
const maintenance = berlin([], [{ from: '2026-12-01T09:30', to: '2026-12-01T11:00' }]);

const at = (iso: string) => Date.parse(iso);

describe('blackoutAt', () => {
  it.each([
    // 2026-11-27 is a Friday; Berlin is UTC+1 in winter.
    { name: 'is open on a weekday', blackouts: weekend, at: '2026-11-26T12:00:00Z', endsAt: null },
    { name: 'is open without windows', blackouts: undefined, at: '2026-11-28T12:00:00Z', endsAt: null },
    { name: 'holds from Friday 18:00 in the window time zone', blackouts: weekend, at: '2026-11-27T17:00:00Z', endsAt: '2026-11-30T05:00:00Z' },
    { name: 'is still open a minute before', blackouts: weekend, at: '2026-11-27T16:59:00Z', endsAt: null },
    { name: 'chains touching windows through the weekend', blackouts: weekend, at: '2026-11-28T12:00:00Z', endsAt: '2026-11-30T05:00:00Z' },
    { name: 'opens on Monday 06:00 Berlin', blackouts: weekend, at: '2026-11-30T05:00:00Z', endsAt: null },
    { name: 'runs a window past midnight', blackouts: nights, at: '2026-11-27T04:00:00Z', endsAt: '2026-11-27T11:00:00Z' },
    { name: 'runs a Friday night window into Saturday', blackouts: nights, at: '2026-11-28T08:00:00Z', endsAt: '2026-11-28T11:00:00Z' },
    { name: 'covers whole days of a bare date range, in local time', blackouts: yearEnd, at: '2026-12-19T23:00:00Z', endsAt: '2027-01-03T23:00:00Z' },
    { name: 'is open before a date range', blackouts: yearEnd, at: '2026-12-19T22:59:59Z', endsAt: null },
    { name: 'holds inside a date-time range', blackouts: maintenance, at: '2026-12-01T09:00:00Z', endsAt: '2026-12-01T10:00:00Z' },
    { name: 'opens at the end of a date-time range', blackouts: maintenance, at: '2026-12-01T10:00:00Z', endsAt: null },
    { name: 'chains a date range into the weekend', blackouts: berlin(weekend.weekly, [{ from: '2026-11-27T08:00', to: '2026-11-27T18:30' }]), at: '2026-11-27T10:00:00Z', endsAt: '2026-11-30T05:00:00Z' },
    // Berlin leaves summer time on Sunday 2026-10-25 (UTC+2 → UTC+1): Monday 06:00 is 05:00 UTC.
    { name: 'follows the autumn clock change', blackouts: weekend, at: '2026-10-24T12:00:00Z', endsAt: '2026-10-26T05:00:00Z' },
    // Berlin enters summer time on Sunday 2026-03-29 (UTC+1 → UTC+2): Monday 06:00 is 04:00 UTC.
    { name: 'follows the spring clock change', blackouts: weekend, at: '2026-03-28T12:00:00Z', endsAt: '2026-03-30T04:00:00Z' },
    { name: 'ends a window at a skipped hour correctly', blackouts: berlin([{ days: ['Sun'], from: '01:00', to: '02:29' }]), at: '2026-03-29T00:30:00Z', endsAt: '2026-03-29T01:00:00Z' },
  ])('$name', ({ blackouts, at: when, endsAt }) => {
    expect(blackoutAt(blackouts, at(when))).toEqual({ active: endsAt !== null, endsAt: endsAt === null ? null : at(endsAt) });
  });

  it('covers the last minute a window names', () => {
    const friday = berlin([{ days: ['Fri'], from: '16:00', to: '23:59' }]);
    expect(blackoutAt(friday, at('2026-11-27T22:59:30Z'))).toEqual({ active: true, endsAt: at('2026-11-27T23:00:00Z') });
  });

  it('reports no end for windows that never open', () => {
    const always: Blackouts = { timeZone: 'UTC', weekly: [{ days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], from: '00:00', to: '23:59' }], dates: [] };
    expect(blackoutAt(always, at('2026-11-26T12:00:00Z'))).toEqual({ active: true, endsAt: null });
  });
});
