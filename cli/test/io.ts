import { PassThrough } from 'node:stream';
import type { CliIO } from '../src/command.js';
import { main } from '../src/main.js';

/** Streams for a CLI run whose output the test reads back from `text` as it arrives. */
export function captureIO(): { io: CliIO; text: { out: string; err: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (chunk) => (text.out += chunk));
  stderr.on('data', (chunk) => (text.err += chunk));
  return { io: { stdout, stderr }, text };
}

/** Runs `netfleet ...argv` in-process and returns its exit code and output. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, text } = captureIO();
  const code = await main(argv, io);
  return { code, ...text };
}
