import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('resolves with what the check returned once it stops throwing', async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls += 1;
      expect(calls).toBeGreaterThan(2);
      return `after ${calls}`;
    }, { intervalMs: 1 });
    expect(value).toBe('after 3');
  });

  it('treats false as not yet, and any other value (undefined included) as done', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 20);
    await expect(eventually(() => ready, { intervalMs: 1 })).resolves.toBe(true);
    await expect(eventually(() => undefined)).resolves.toBeUndefined();
  });

  it('fails after the deadline naming the last failure it observed, keeping the assertion diff', async () => {
    let seen = 0;
    const failure = await eventually(() => expect(++seen).toBe(-1), { intervalMs: 5, timeoutMs: 200 }).then(() => undefined, (error: unknown) => error as Error & { actual?: unknown; expected?: unknown });
    expect(failure?.message).toMatch(/^condition still not met after \d+\.\d s \(\d+ checks\); last observed: expected \d+ to be -1/);
    expect(failure).toMatchObject({ expected: -1, actual: seen });
  });

  it('fails naming a check that kept returning false', async () => {
    await expect(eventually(() => false, { timeoutMs: 200 })).rejects.toThrow(/last observed: the check returned false/);
  });
});
