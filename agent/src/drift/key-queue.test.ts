import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './key-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => { resolve = done; });
  return { promise, resolve };
}

describe('KeyedQueue', () => {
  it('never runs two jobs of the same key at once', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const log: string[] = [];
    const first = queue.run('a', async () => { log.push('a1 start'); await gate.promise; log.push('a1 end'); });
    await Promise.resolve();
    const second = queue.run('a', async () => { log.push('a2'); });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a1 start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['a1 start', 'a1 end', 'a2']);
  });

  it('runs different keys in parallel', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const log: string[] = [];
    const a = queue.run('a', async () => { await gate.promise; log.push('a'); });
    const b = queue.run('b', async () => { log.push('b'); });
    await b;
    expect(log).toEqual(['b']);
    gate.resolve();
    await a;
    expect(log).toEqual(['b', 'a']);
  });

  it('merges requests for a key that already has one waiting', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    let runs = 0;
    const first = queue.run('a', async () => { runs++; await gate.promise; });
    await Promise.resolve();
    const waiting = [1, 2, 3].map(() => queue.run('a', async () => { runs++; }));
    gate.resolve();
    await Promise.all([first, ...waiting]);
    await queue.idle();
    expect(runs).toBe(2);
  });
});
