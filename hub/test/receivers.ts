import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@netfleet/test';

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP receiver for alert sinks: records every request it takes (`received`) and
 * every request at all (`attempts`); `failNext(n)` makes the next n requests answer 500 so
 * retries can be observed.
 */
export async function startReceiver(): Promise<{ url: string; received: Received[]; attempts: Received[]; failNext(count: number): void; close(): Promise<void> }> {
  const received: Received[] = [];
  const attempts: Received[] = [];
  let failures = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const got = { path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() };
      attempts.push(got);
      if (failures > 0) {
        failures -= 1;
        response.writeHead(500).end('try again');
        return;
      }
      received.push(got);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    attempts,
    failNext: (count) => void (failures = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The Alertmanager binary (Debian package prometheus-alertmanager), or undefined. */
export async function findAlertmanager(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager']) {
    const exists = await import('node:fs').then((fs) => fs.existsSync(candidate));
    if (exists) return candidate;
  }
  return undefined;
}

/** A real Alertmanager on a free loopback port with a throwaway config and storage. */
export async function startAlertmanager(binary: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-am-'));
  const port = await freePort();
  await writeFile(join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  const child: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager did not become ready on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
