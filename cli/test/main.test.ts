import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  return { io: { stdout, stderr }, text: () => ({ out, err }) };
}

describe('netfleet CLI', () => {
  it('prints help and exits 0', async () => {
    const { io, text } = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(text().out).toContain('Usage: netfleet');
  });

  it('exits 2 on an unknown command', async () => {
    const { io, text } = capture();
    expect(await main(['no-such-command'], io)).toBe(2);
    expect(text().err).toMatch(/^error: /);
  });
});
