/**
 * The hub and the agent's reporter through Redis Sentinel: they find the master through
 * the Sentinels, and when the master dies and a Sentinel promotes its replica they carry
 * on with the new master; what the reporter sent meanwhile stays spooled and arrives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials } from '@netfleet/shared';
import { startRedisSentinel, type PrivateRedisSentinel } from '@netfleet/test';
import { Reporter } from '../../agent/src/report/reporter.js';
import type { Hub } from '../src/index.js';
import { driftItem, eventually, heartbeatBody, quietLogger, registerCluster, testHub } from './helpers.js';

const { agentVersion: _agentVersion, ...summary } = heartbeatBody('rev-1');

describe('through Redis Sentinel (a master, a replica, two Sentinels)', () => {
  const prefix = `{nf-sentinel-${randomBytes(4).toString('hex')}}`;
  let redis: PrivateRedisSentinel;
  let hub: Hub;
  let hubUrl: string;
  let dir: string;
  let credentials: Credentials;
  let reporter: Reporter;

  const ready = () => fetch(`${hubUrl}/readyz`).then((response) => response.json() as Promise<{ status: string; redis: string }>);

  beforeAll(async () => {
    [redis, dir] = await Promise.all([startRedisSentinel({ replicas: 1, sentinels: 2 }), mkdtemp(join(tmpdir(), 'netfleet-sentinel-'))]);
    hub = testHub({ url: redis.url, prefix }, { heartbeatIntervalMs: 60_000, sweepIntervalMs: 50, leaseTtlMs: 1_000 });
    hubUrl = await (await hub.api()).listen({ host: '127.0.0.1', port: 0 });
    await hub.start();
    credentials = await registerCluster(hub, 'c1', 'eu');
    reporter = await Reporter.open({
      credentials, hubUrl, spoolDir: join(dir, 'spool'), agentVersion: '0.1.0-sentinel',
      heartbeatIntervalMs: 60_000, coalesceMs: 10, retryMinMs: 50, retryMaxMs: 500, sendTimeoutMs: 1_000, logger: quietLogger(),
    });
    reporter.start();
  }, 30_000);

  afterAll(async () => {
    await reporter?.close();
    await hub?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the master through the Sentinels and ingests the reporter\'s reports', async () => {
    reporter.heartbeat(summary);
    await eventually(async () => expect(await hub.fleet.detail('c1')).toMatchObject({ state: 'online', agentVersion: '0.1.0-sentinel' }));
    expect(await ready()).toEqual(expect.objectContaining({ status: 'ready', redis: 'ok' }));
    expect(await redis.master()).toBe(redis.servers[0]);
  });

  it('carries on with the promoted replica when the master dies, losing no report', async () => {
    const [master, replica] = redis.servers as [PrivateRedisSentinel['servers'][0], PrivateRedisSentinel['servers'][0]];
    // Replication is asynchronous: the replica must hold what the master acknowledged.
    const direct = new Redis({ host: '127.0.0.1', port: master.port });
    expect(await direct.wait(1, 2_000)).toBe(1);
    direct.disconnect();

    await master.kill();
    // Sent while there is no master: spooled by the reporter until the new one is found.
    reporter.drift([driftItem('main')], 'rev-1');
    await reporter.flush();
    expect(reporter.stats.spooled).toBe(1);

    await eventually(async () => expect(await redis.master()).toBe(replica), 10_000, 100);
    const detail = await eventually(async () => {
      const found = await hub.fleet.detail('c1');
      expect(found).toMatchObject({ driftCount: 1, state: 'online' });
      return found!;
    }, 15_000, 100);
    expect(reporter.stats).toMatchObject({ spooled: 0, dropped: 0 });
    // Both reports the reporter numbered arrived: the heartbeat before the failover and the drift.
    expect(detail.lastSeq).toBe(2);
    expect(await ready()).toEqual(expect.objectContaining({ status: 'ready', redis: 'ok' }));
  }, 30_000);
});
