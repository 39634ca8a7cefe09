import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Action, type DriftItem } from '@netfleet/shared';
import type { SyncResult } from '../reconcile/result.js';

/**
 * The agent's Prometheus metrics, in a registry of their own (several agents may run in
 * one test process).
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly reconcileDuration = new Histogram({
    name: 'netfleet_reconcile_duration_seconds', help: 'Duration of a sync (fetch, render, validate, apply, prune, health), by reason',
    labelNames: ['reason'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry],
  });
  readonly syncs = new Counter({
    name: 'netfleet_syncs_total', help: 'Syncs by reason', labelNames: ['reason'], registers: [this.registry],
  });
  readonly objects = new Gauge({
    name: 'netfleet_objects', help: 'Managed objects by their state after the last sync', labelNames: ['state'], registers: [this.registry],
  });
  readonly driftItems = new Gauge({
    name: 'netfleet_drift_items', help: 'Objects currently drifted, by policy', labelNames: ['policy'], registers: [this.registry],
  });
  readonly driftCorrections = new Counter({
    name: 'netfleet_drift_corrections_total', help: 'Drifted objects re-applied under the correct policy', registers: [this.registry],
  });
  readonly driftFights = new Counter({
    name: 'netfleet_drift_fights_total', help: 'Objects another field manager kept reverting after a correction (corrections then back off)', registers: [this.registry],
  });
  readonly lastSuccessfulSync = new Gauge({
    name: 'netfleet_last_successful_sync_timestamp_seconds', help: 'When the last sync without errors finished (unix seconds)', registers: [this.registry],
  });
  readonly gitFetchDuration = new Histogram({
    name: 'netfleet_git_fetch_duration_seconds', help: 'Duration of fetching the revision to apply',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });

  recordSync(result: SyncResult): void {
    this.reconcileDuration.labels(result.reason).observe(result.durationMs / 1000);
    this.syncs.labels(result.reason).inc();
    if (result.errorClass === undefined) this.lastSuccessfulSync.set((result.startedAt + result.durationMs) / 1000);
    if (result.changeSet.length === 0) return;
    this.objects.reset();
    for (const action of Object.values(Action)) this.objects.labels(action).set(0);
    for (const entry of result.changeSet) this.objects.labels(entry.action).inc();
  }

  recordDrift(items: DriftItem[]): void {
    this.driftItems.labels('correct').set(items.filter((item) => item.policy === 'correct').length);
    this.driftItems.labels('alert').set(items.filter((item) => item.policy === 'alert').length);
  }
}
