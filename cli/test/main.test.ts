import { describe, expect, it } from 'vitest';
import { runCli } from './io.js';

describe('netfleet CLI', () => {
  it('prints help and exits 0', async () => {
    const { code, out } = await runCli('--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: netfleet');
  });

  it('exits 2 on an unknown command', async () => {
    const { code, err } = await runCli('no-such-command');
    expect(code).toBe(2);
    expect(err).toMatch(/^error: unknown command 'no-such-command'/);
  });
});
