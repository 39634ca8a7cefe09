import { describe, expect, it } from 'vitest';
import { blackoutAt } from '../../src/rollout/blackout.js';
import type { BlackoutWindow } from '../../src/rollout/policy.js';

const weekends: BlackoutWindow = { kind: 'weekly', name: 'weekend', days: ['sat', 'sun'], start: '00:00', end: '24:00', timeZone: 'Europe/Berlin' };
const nights: BlackoutWindow = { kind: 'weekly', name: 'nights', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00', timeZone: 'America/New_York' };
const freeze: BlackoutWindow = { kind: 'dates', name: 'year-end', start: '2026-12-20T00:00:00Z', end: '2027-01-04T00:00:00Z' };
const fridayEvening: BlackoutWindow = { kind: 'weekly', name: 'friday', days: ['fri'], start: '18:00', end: '24:00', timeZone: 'Europe/Berlin' };

const at = (iso: string) => Date.parse(iso);

describe('blackoutAt', () => {
  it.each([
    // 2026-11-28 is a Saturday; Berlin is UTC+1 in winter.
    { name: 'is open on a weekday', windows: [weekends], at: '2026-11-26T12:00:00Z', endsAt: null },
    { name: 'holds on Saturday in the window time zone', windows: [weekends], at: '2026-11-28T12:00:00Z', endsAt: '2026-11-29T23:00:00Z' },
    { name: 'reads Friday 23:30 UTC as Saturday in Berlin', windows: [weekends], at: '2026-11-27T23:30:00Z', endsAt: '2026-11-29T23:00:00Z' },
    { name: 'opens at Monday 00:00 Berlin', windows: [weekends], at: '2026-11-29T23:00:00Z', endsAt: null },
    { name: 'runs a window past midnight', windows: [nights], at: '2026-11-27T04:00:00Z', endsAt: '2026-11-27T11:00:00Z' },
    { name: 'runs a Friday night window into Saturday', windows: [nights], at: '2026-11-28T08:00:00Z', endsAt: '2026-11-28T11:00:00Z' },
    { name: 'holds inside a date range', windows: [freeze], at: '2026-12-24T10:00:00Z', endsAt: '2027-01-04T00:00:00Z' },
    { name: 'opens at the end of a date range', windows: [freeze], at: '2027-01-04T00:00:00Z', endsAt: null },
    { name: 'chains touching windows: Friday evening then the weekend', windows: [fridayEvening, weekends], at: '2026-11-27T18:00:00Z', endsAt: '2026-11-29T23:00:00Z' },
    { name: 'chains a date range into a weekend', windows: [weekends, { kind: 'dates', start: '2026-11-27T00:00:00Z', end: '2026-11-28T06:00:00Z' } as BlackoutWindow], at: '2026-11-27T10:00:00Z', endsAt: '2026-11-29T23:00:00Z' },
    // Berlin leaves summer time on 2026-10-25 at 03:00 local (01:00 UTC): the weekend ends at 23:00 UTC.
    { name: 'follows the autumn clock change', windows: [weekends], at: '2026-10-24T12:00:00Z', endsAt: '2026-10-25T23:00:00Z' },
    // Berlin enters summer time on 2026-03-29 at 02:00 local: the weekend ends at 22:00 UTC.
    { name: 'follows the spring clock change', windows: [weekends], at: '2026-03-28T12:00:00Z', endsAt: '2026-03-29T22:00:00Z' },
  ])('$name', ({ windows, at: when, endsAt }) => {
    const status = blackoutAt(windows, at(when));
    expect(status.active).toBe(endsAt !== null);
    expect(status.endsAt).toBe(endsAt === null ? null : at(endsAt));
  });

  it('names the windows that hold', () => {
    expect(blackoutAt([fridayEvening, weekends, freeze], at('2026-12-26T10:00:00Z')).windows).toEqual(['weekend', 'year-end']);
  });

  it('reports no end for windows that never open', () => {
    const always: BlackoutWindow = { kind: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00', timeZone: 'UTC' };
    expect(blackoutAt([always], at('2026-11-26T12:00:00Z'))).toEqual({ active: true, endsAt: null, windows: ['#0'] });
  });
});
