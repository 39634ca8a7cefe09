import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';
import { spawnRedis, startRedis, type PrivateRedis } from './redis.js';

export interface StartRedisSentinelOptions {
  /** Replicas of the master (failover needs one). Default 1. */
  replicas?: number;
  /** Sentinel processes (quorum 1). Default 1. */
  sentinels?: number;
  /** Master name the Sentinels monitor. Default `netfleet`. */
  masterName?: string;
}

/** A private master, its replicas and the Sentinels watching them, owned by one test file. */
export interface PrivateRedisSentinel {
  /** `redis-sentinel://127.0.0.1:S1,.../<masterName>`, for the hub and the agent. */
  readonly url: string;
  readonly masterName: string;
  /** The first master, then its replicas (roles change on failover). */
  readonly servers: PrivateRedis[];
  /** The server the Sentinels name as master now. */
  master(): Promise<PrivateRedis>;
  /** Stop the Sentinels and every server, and delete their data. */
  stop(): Promise<void>;
}

/**
 * Starts a master, `replicas` replicas of it and `sentinels` `redis-server --sentinel`
 * processes monitoring it with quorum 1 and a short down-after (2 s), so a stopped
 * master is failed over within seconds.
 */
export async function startRedisSentinel(options: StartRedisSentinelOptions = {}): Promise<PrivateRedisSentinel> {
  const masterName = options.masterName ?? 'netfleet';
  const servers: PrivateRedis[] = [];
  const sentinels: ChildProcess[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-sentinel-'));
  const sentinelPorts: number[] = [];
  async function stop() {
    await Promise.all(sentinels.map(async (sentinel) => {
      if (sentinel.exitCode !== null || sentinel.signalCode !== null) return;
      const exited = new Promise((resolve) => sentinel.once('exit', resolve));
      sentinel.kill('SIGKILL');
      await exited;
    }));
    await Promise.all(servers.map((server) => server.dispose()));
    await rm(dir, { recursive: true, force: true });
  }
  try {
    // No diskless-sync delay: replicas (and a failed-over master coming back) sync at once.
    const master = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
    servers.push(master);
    for (let index = 0; index < (options.replicas ?? 1); index++) {
      servers.push(await startRedis({ args: ['--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(master.port)] }));
    }
    for (let index = 0; index < (options.sentinels ?? 1); index++) {
      const port = await freePort();
      // Sentinel rewrites its config file, so each one gets its own.
      const config = join(dir, `sentinel-${port}.conf`);
      await writeFile(config, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        // Long enough that a master slow to answer on a busy machine is not failed over by mistake.
        `sentinel down-after-milliseconds ${masterName} 2000`,
        `sentinel failover-timeout ${masterName} 5000`,
        '',
      ].join('\n'));
      sentinels.push(await spawnRedis([config, '--sentinel', '--logfile', ''], `+monitor master ${masterName}`));
      sentinelPorts.push(port);
    }
    // A replica that has not synced yet cannot be promoted: wait for the link to be up.
    await Promise.all(servers.slice(1).map((replica) => waitForReplicaLink(replica.port)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis-sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${masterName}`,
    masterName,
    servers,
    async master() {
      const client = new Redis({ host: '127.0.0.1', port: sentinelPorts[0]!, maxRetriesPerRequest: 1 });
      try {
        const [, port] = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName) as [string, string];
        const server = servers.find((candidate) => candidate.port === Number(port));
        if (!server) throw new Error(`Sentinel names 127.0.0.1:${port} as master, not one of this setup's servers`);
        return server;
      } finally {
        client.disconnect();
      }
    },
    stop,
  };
}

async function waitForReplicaLink(port: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    await eventually(async () => {
      const link = /master_link_status:(\w+)/.exec(await client.info('replication'))?.[1];
      if (link !== 'up') throw new Error(`replica 127.0.0.1:${port} has not synced with its master (link ${link ?? 'unknown'})`);
    }, { intervalMs: 50 });
  } finally {
    client.disconnect();
  }
}
