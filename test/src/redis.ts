import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface StartRedisOptions {
  /** Turn the append-only file on, so writes survive `kill()` + `restart()`. Default false. */
  aof?: boolean;
  /** More `redis-server` arguments, e.g. `['--replicaof', '127.0.0.1', '6380']`. */
  args?: string[];
  /** Environment of the server, e.g. a locale (Redis takes `LC_COLLATE` from it, and Lua's string order with it). */
  env?: NodeJS.ProcessEnv;
}

/** A private `redis-server` owned by one test, on its own port and data directory. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:PORT`, usable by ioredis and BullMQ. */
  readonly url: string;
  readonly port: number;
  /** The server's data directory (AOF and RDB files live here). */
  readonly dataDir: string;
  /** Graceful shutdown (SIGTERM); the data directory is kept for `restart()`. */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL), as a crashed or OOM-killed Redis. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory (stops the server first if it runs). */
  restart(): Promise<void>;
  /** Stop the server and delete its data directory. */
  dispose(): Promise<void>;
}

const READY_LINE = 'Ready to accept connections';
const START_TIMEOUT_MS = 5_000;

/**
 * Start a private `redis-server` on a free loopback port with its own temp data dir.
 * Use it for tests that stop, kill or restart Redis; others use {@link sharedRedis}.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'netfleet-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--save', '',
    '--appendonly', options.aof ? 'yes' : 'no',
    // Each write reaches the file before its reply, so a SIGKILL loses nothing acknowledged.
    // The default (everysec) holds writes back for up to 2 s while an earlier fsync is slow
    // (a busy disk), and a kill then loses writes the client was told were done.
    '--appendfsync', 'no',
    '--daemonize', 'no',
    '--logfile', '',
    ...(options.args ?? []),
  ];
  let child: ChildProcess | undefined = await spawnRedis(args, READY_LINE, options.env);

  async function terminate(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dataDir,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    async restart() {
      await terminate('SIGTERM');
      child = await spawnRedis(args, READY_LINE, options.env);
    },
    async dispose() {
      await terminate('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Spawn redis-server and resolve once it logs `readyLine` (by default: it accepts connections). */
export async function spawnRedis(args: string[], readyLine = READY_LINE, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyLine)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
    }
    function done() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** A unique key space on the machine's Redis (127.0.0.1:6379) for one test. */
export interface SharedRedis {
  /** `redis://127.0.0.1:6379` unless NETFLEET_REDIS_URL says otherwise. */
  readonly url: string;
  /** Unique per call; use it as the BullMQ `prefix` or as a key prefix. */
  readonly prefix: string;
  /** Delete every key starting with `prefix`. */
  cleanup(): Promise<void>;
}

/**
 * A unique key prefix on the shared Redis, for tests that never stop Redis.
 * @param label readable start of the prefix, e.g. the suite name.
 */
export function sharedRedis(label = 'test'): SharedRedis {
  const url = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `nf-${label}-${randomBytes(6).toString('hex')}`;
  return {
    url,
    prefix,
    cleanup: () => deleteKeysWithPrefix(url, prefix),
  };
}

/** Deletes every key starting with `prefix` (taken literally, glob characters escaped) on the Redis at `url`. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[{}[\]*?\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
