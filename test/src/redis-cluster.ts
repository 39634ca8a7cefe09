import { Redis } from 'ioredis';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';
import { runTool } from './git-cli.js';
import { startRedis, type PrivateRedis } from './redis.js';

/** A private Redis Cluster of masters without replicas, owned by one test file. */
export interface PrivateRedisCluster {
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,...`, for the hub and the agent. */
  readonly url: string;
  /** One server per master, in slot order. */
  readonly nodes: PrivateRedis[];
  /** Stop every node and delete its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `masters` `redis-server --cluster-enabled yes` on free loopback ports, joins them
 * with `redis-cli --cluster create` and waits until every node says the cluster is ok.
 */
export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const nodes: PrivateRedis[] = [];
  const stop = () => Promise.all(nodes.map((node) => node.dispose())).then(() => undefined);
  try {
    for (let index = 0; index < masters; index++) {
      // The bus port is given explicitly: the default (port + 10000) may be out of range for a free port.
      const busPort = await freePort();
      nodes.push(await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-node-timeout', '2000'] }));
    }
    await runTool('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(nodes.map((node) => waitForClusterOk(node.port)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis-cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`, nodes, stop };
}

async function waitForClusterOk(port: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    await eventually(async () => {
      const info = await client.cluster('INFO');
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_assigned:16384/.test(info)) throw new Error(`Redis Cluster node 127.0.0.1:${port} not ok:\n${info}`);
    }, { intervalMs: 50 });
  } finally {
    client.disconnect();
  }
}
