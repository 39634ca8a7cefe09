import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask } from '../src/periodic-task.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('PeriodicTask', () => {
  it('runs one run at a time, the interval after the previous run ends', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    const task = new PeriodicTask(async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }, { intervalMs: 100, onError: () => undefined });
    const t0 = Date.now();
    task.start();
    await vi.advanceTimersByTimeAsync(500);
    await task.stop();
    expect(starts.map((at) => at - t0)).toEqual([0, 150, 300, 450]);
  });

  it('at a fixed rate, starts a run every interval from the start of the last, or right after a run longer than it', async () => {
    vi.useFakeTimers();
    const durations = [30, 30, 250, 30];
    const starts: number[] = [];
    const task = new PeriodicTask(async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, durations.shift() ?? 30));
    }, { intervalMs: 100, fixedRate: true, onError: () => undefined });
    const t0 = Date.now();
    task.start();
    await vi.advanceTimersByTimeAsync(520);
    await task.stop();
    // The third run took 250 ms: the fourth follows it at once (a timer of 0 fires after 1 ms).
    expect(starts.map((at) => at - t0)).toEqual([0, 100, 200, 451]);
  });

  it('runs at once when asked to run soon, or right after the run in progress', async () => {
    vi.useFakeTimers();
    const starts: number[] = [];
    const task = new PeriodicTask(async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }, { intervalMs: 1_000, onError: () => undefined });
    const t0 = Date.now();
    task.start();
    await vi.advanceTimersByTimeAsync(10);
    // Mid-run: the next run follows this one instead of waiting out the interval.
    task.runSoon();
    await vi.advanceTimersByTimeAsync(300);
    // Idle: runs now.
    task.runSoon();
    await vi.advanceTimersByTimeAsync(1_200);
    await task.stop();
    task.runSoon();
    await vi.advanceTimersByTimeAsync(2_000);
    const offsets = starts.map((at) => at - t0);
    expect(offsets).toHaveLength(4);
    // The second run starts as the first ends (50 ms), not after the 1 s interval.
    expect(offsets[1]).toBeGreaterThanOrEqual(50);
    expect(offsets[1]).toBeLessThan(60);
    expect(offsets.slice(2)).toEqual([310, 1360]);
  });

  it('keeps going after failures, backing off up to its bound, and resets after a success', async () => {
    vi.useFakeTimers();
    const outcomes = [false, false, false, true, false];
    const starts: number[] = [];
    const failures: number[] = [];
    const task = new PeriodicTask(async () => {
      starts.push(Date.now());
      if (outcomes.shift() === false) throw new Error('redis away');
    }, { intervalMs: 100, maxBackoffMs: 300, onError: (_error, count) => failures.push(count) });
    const t0 = Date.now();
    task.start();
    await vi.advanceTimersByTimeAsync(1_200);
    await task.stop();
    // Waits after each run: 200 (1 failure), 300 (2, capped), 300 (3), 100 (success), 200.
    expect(starts.map((at) => at - t0).slice(0, 6)).toEqual([0, 200, 500, 800, 900, 1100]);
    expect(failures.slice(0, 4)).toEqual([1, 2, 3, 1]);
  });

  it('waits for the run in progress when stopped and schedules nothing after', async () => {
    vi.useFakeTimers();
    let finished = 0;
    let runs = 0;
    const task = new PeriodicTask(async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished += 1;
    }, { intervalMs: 10, onError: () => undefined });
    task.start();
    await vi.advanceTimersByTimeAsync(1);
    const stopped = task.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(finished).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(1);
  });
});
