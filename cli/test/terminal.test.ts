import { describe, expect, it } from 'vitest';
import { table } from '../src/hub-client.js';
import { printable, printableLines } from '../src/terminal.js';

const HOSTILE = ['eu\u001b[2J\u001b[31mpwned', 'eu\nfake-cluster  eu  online', 'a\rb', 'bell\u0007', 'c1\u009b31m', 'rtl\u202egnp.exe'];

describe('text from the hub shown in a terminal', () => {
  it.each(HOSTILE)('writes the control characters of %j as escapes', (value) => {
    const shown = printable(value);
    expect([...shown].filter((char) => char.charCodeAt(0) < 0x20 || (char.charCodeAt(0) >= 0x7f && char.charCodeAt(0) <= 0x9f) || char === '\u202e')).toEqual([]);
    expect(shown.length).toBeGreaterThan(0);
  });

  it('keeps plain text as it is', () => {
    expect(printable('eu-fra-1 · tier=prod')).toBe('eu-fra-1 · tier=prod');
  });

  it('cannot clear the screen or forge a row of a table', () => {
    const out = table(['NAME', 'REGION'], HOSTILE.map((region, index) => [`c-${index}`, region]));
    expect(out).not.toContain('\u001b');
    expect(out.trimEnd().split('\n')).toHaveLength(HOSTILE.length + 1);
    expect(out).toContain('eu\\u001b[2J\\u001b[31mpwned');
    expect(out).toContain('eu\\nfake-cluster');
  });

  it('makes each line of a view printable', () => {
    expect(printableLines(['Region: eu\u001b[2J', 'Events:'])).toBe('Region: eu\\u001b[2J\nEvents:\n');
  });
});
