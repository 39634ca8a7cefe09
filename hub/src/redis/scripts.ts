import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubKeys } from './keys.js';
import type { ClusterLabels } from '../alerts/rules.js';
import type { ChainableCommander } from 'ioredis';
import { commandName, defineCommands } from './script-loader.js';
import { execAll } from './pipeline.js';

type Arg = string | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

/** A group of cluster hash fields written only by a report newer than the group's last one. */
export interface GuardedFields {
  /** Hash field holding the seq that last wrote this group. */
  guard: string;
  fields: Record<string, string | number>;
  /**
   * A hash field kept as a JSON object of key → ms since the key was first listed by a
   * report of this group: written with the group, it keeps the time of keys listed again.
   */
  firstSeen?: { field: string; keys: readonly string[] };
}

/** What one verified report writes, as the ingest script takes it. */
export interface ReportWrites {
  seq: number;
  /** Event JSON for the cluster history, '' for none. */
  event: string;
  groups: GuardedFields[];
}

/** Ingest script return codes (see ingest-reports-4.lua). */
export enum IngestCode {
  Applied = 1,
  UnknownCluster = -1,
  Revoked = -2,
  KeyGenerationChanged = -3,
  Replay = -4,
  Duplicate = -5,
  SeqJump = -6,
}

export interface IngestOutcome {
  code: IngestCode;
  /** Before/after values, set when applied. */
  prevState?: string;
  state?: string;
  prevSync?: string;
  sync?: string;
  prevRevision?: string;
  revision?: string;
  prevDrift?: number;
  drift?: number;
  region?: string;
}

/** Alert script return codes (see update-alert-4.lua). */
export enum AlertCode {
  Unchanged = 0,
  Fired = 1,
  Repeated = 2,
  Resolved = 3,
}

export interface ScriptsOptions {
  /** How many events each cluster keeps. */
  eventsCap: number;
  /** How many seqs below a cluster's highest are still accepted once (late, out of order). */
  replayWindow: number;
  /** Largest jump above a cluster's highest seq accepted. */
  maxSeqJump: number;
  /** How many alerts (firing and resolved) are kept: beyond it the oldest resolved ones are deleted, firing ones never. */
  alertHistoryCap: number;
}

/**
 * Calls the hub's Lua commands. Each operation builds its key list and packed arguments in
 * an `xxxArgs` method and runs one script, so every state change is one atomic step.
 */
export class HubScripts {
  constructor(
    private readonly client: RedisClient,
    readonly keys: HubKeys,
    private readonly options: ScriptsOptions,
  ) {
    defineCommands(client);
  }

  private exec(name: string, args: Arg[]): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn>)[commandName(name)];
    if (!fn) throw new Error(`Lua command ${name} is not defined`);
    return fn.apply(this.client, args);
  }

  ingestReportsArgs(cluster: string, keyGeneration: number, now: number, reports: readonly ReportWrites[]): Arg[] {
    const packed: Arg[] = [reports.length];
    for (const report of reports) {
      packed.push(report.seq, report.event, report.groups.length);
      for (const group of report.groups) {
        const entries = Object.entries(group.fields);
        packed.push(group.guard, entries.length, ...entries.flat(), group.firstSeen?.field ?? '', group.firstSeen?.keys.length ?? 0, ...(group.firstSeen?.keys ?? []));
      }
    }
    return [
      this.keys.cluster(cluster), this.keys.seen(cluster), this.keys.events(cluster), this.keys.lastSeen(),
      this.keys.prefix, cluster, keyGeneration, now, this.options.replayWindow, this.options.eventsCap,
      this.options.maxSeqJump, ...packed,
    ];
  }

  /** Applies one cluster's verified reports in order in one round trip: one outcome per report. */
  async ingestReports(...params: Parameters<HubScripts['ingestReportsArgs']>): Promise<IngestOutcome[]> {
    const results = (await this.exec('ingest-reports', this.ingestReportsArgs(...params))) as Arg[][];
    return results.map((result) => {
      const code = Number(result[0]) as IngestCode;
      if (code !== IngestCode.Applied) return { code };
      const [, prevState, state, prevSync, sync, prevRevision, revision, prevDrift, drift, region] = result.map(String);
      return {
        code, prevState, state, prevSync, sync, prevRevision, revision, region,
        prevDrift: Number(prevDrift), drift: Number(drift),
      };
    });
  }

  registerClusterArgs(input: {
    bootstrapId: string; bootstrapHash: string; cluster: string; region: string;
    labels: Record<string, string>; tokenHash: string; now: number;
  }): Arg[] {
    return [
      this.keys.bootstrap(input.bootstrapId), this.keys.cluster(input.cluster), this.keys.clusters(),
      this.keys.prefix, input.cluster, input.bootstrapHash, input.now, input.region, JSON.stringify(input.labels),
      input.tokenHash, ...Object.entries(input.labels).map(([key, value]) => `${key}=${value}`),
    ];
  }

  /** 1 or a negative registry code (see errors.ts registryScriptError). */
  async registerCluster(input: Parameters<HubScripts['registerClusterArgs']>[0]): Promise<number> {
    return Number(await this.exec('register-cluster', this.registerClusterArgs(input)));
  }

  /** The new key generation, or a negative registry code. */
  async rotateCredentials(cluster: string, tokenHash: string): Promise<number> {
    return Number(await this.exec('rotate-credentials', [this.keys.cluster(cluster), tokenHash]));
  }

  /** 1 revoked, 0 already revoked, -1 unknown. */
  async revokeCluster(cluster: string, event: string): Promise<number> {
    return Number(await this.exec('revoke-cluster', [
      this.keys.cluster(cluster), this.keys.lastSeen(), this.keys.events(cluster),
      this.keys.prefix, cluster, event, this.options.eventsCap,
    ]));
  }

  /**
   * Takes up to `batch` clusters silent since `cutoff` from last-seen and marks the online
   * ones offline: how many it took (fewer than `batch`: none is left) and those it marked.
   */
  async sweepOffline(cutoff: number, now: number, batch: number): Promise<{ taken: number; offline: ClusterLabels[] }> {
    const [taken, ...marked] = (await this.exec('sweep-offline', [
      this.keys.lastSeen(), this.keys.prefix, cutoff, now, batch, this.options.eventsCap,
    ])) as [number, ...string[]];
    const offline: ClusterLabels[] = [];
    for (let index = 0; index < marked.length; index += 3) {
      offline.push({ cluster: marked[index]!, region: marked[index + 1]!, revision: marked[index + 2]! });
    }
    return { taken: Number(taken), offline };
  }

  async acquireLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.exec('acquire-lease', [this.keys.lease(name), token, ttlMs])) === 1;
  }

  async releaseLease(name: string, token: string): Promise<boolean> {
    return Number(await this.exec('release-lease', [this.keys.lease(name), token])) === 1;
  }

  updateAlertArgs(fingerprint: string, action: 'fire' | 'resolve' | 'repeat', now: number, repeatMs: number, fields = ''): Arg[] {
    return [
      this.keys.alert(fingerprint), this.keys.alerts(), this.keys.firingAlerts(), this.keys.resolvedAlerts(),
      fingerprint, action, now, repeatMs, fields, this.options.alertHistoryCap,
    ];
  }

  async updateAlert(...params: Parameters<HubScripts['updateAlertArgs']>): Promise<AlertCode> {
    return Number(await this.exec('update-alert', this.updateAlertArgs(...params))) as AlertCode;
  }

  /**
   * Several alert updates in one round trip (a pipeline: each is atomic, in order), each with
   * the alert hash as that update left it, so a notification shows the alert as it was then.
   */
  async updateAlerts(updates: ReadonlyArray<Parameters<HubScripts['updateAlertArgs']>>): Promise<Array<{ code: AlertCode; hash: Record<string, string> }>> {
    const pipeline = this.client.pipeline() as unknown as Record<string, ScriptFn> & ChainableCommander;
    for (const update of updates) {
      pipeline[commandName('update-alert')]!(...this.updateAlertArgs(...update));
      pipeline.hgetall(this.keys.alert(update[0]));
    }
    const replies = await execAll(pipeline);
    return updates.map((_update, index) => ({ code: Number(replies[2 * index]) as AlertCode, hash: replies[2 * index + 1] as Record<string, string> }));
  }
}
