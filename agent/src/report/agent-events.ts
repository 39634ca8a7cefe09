import { Action, Readiness, reasonStatus, type DriftItem, type ReadinessSummary, type SyncBody } from '@netfleet/shared';
import { summarizeLinks, type LinkReportBody, type LinkSummary } from '@netfleet/shared/protocol/links';
import type { AgentEvents } from '../events.js';
import type { SyncResult } from '../reconcile/result.js';
import type { Reporter } from './reporter.js';

/** The report body of one sync result: its status is its reason's, as the protocol defines it. */
export function syncBodyOf(result: SyncResult): SyncBody {
  return {
    revision: result.revision,
    status: reasonStatus[result.reason],
    reason: result.reason,
    changes: result.changeSet,
    // A wall clock stepped back during the sync would make it negative.
    durationMs: Math.max(0, Math.round(result.durationMs)),
    ...(result.message ? { error: result.message.slice(0, 4096) } : {}),
  };
}

/** Readiness counts of one sync: waiting objects are those whose module is not enabled yet or whose namespace is terminating. */
export function readinessOf(result: SyncResult): ReadinessSummary {
  const ready = result.readiness.filter((object) => object.readiness === Readiness.Ready || object.readiness === Readiness.Unknown).length;
  return {
    ready,
    notReady: result.readiness.length - ready,
    waiting: result.changeSet.filter((entry) => entry.action === Action.Waiting).length,
  };
}

/**
 * Sends the agent's events to the hub: sync results as they come, the complete current
 * drift and the links whenever they change, and keeps the heartbeat summary (applied
 * revision, objects, drift count, readiness, links by state) up to date. Returns a
 * function that detaches the listeners.
 */
export function reportAgentEvents(events: AgentEvents, reporter: Reporter): () => void {
  let drift: DriftItem[] = [];
  let links: LinkSummary | undefined;
  let last: SyncResult | undefined;
  const summarize = () => {
    if (!last) return;
    reporter.heartbeat({
      revision: last.appliedRevision,
      objects: last.changeSet.filter((entry) => entry.action !== Action.Deleted).length,
      driftCount: drift.length,
      readiness: readinessOf(last),
      ...(links ? { links } : {}),
    });
  };
  const onSync = (result: SyncResult) => {
    last = result;
    reporter.sync(syncBodyOf(result));
    summarize();
  };
  const onDrift = (items: DriftItem[]) => {
    drift = items;
    reporter.drift(drift, last?.appliedRevision ?? '');
    summarize();
  };
  const onResolved = (ids: string[]) => {
    drift = drift.filter((item) => !ids.includes(item.id));
    reporter.drift(drift, last?.appliedRevision ?? '');
    summarize();
  };
  const onLinks = (body: LinkReportBody) => {
    links = summarizeLinks(body.links);
    reporter.link(body);
    summarize();
  };
  events.on('synced', onSync);
  events.on('sync-failed', onSync);
  events.on('drift-detected', onDrift);
  events.on('drift-resolved', onResolved);
  events.on('links-changed', onLinks);
  return () => {
    events.off('synced', onSync);
    events.off('sync-failed', onSync);
    events.off('drift-detected', onDrift);
    events.off('drift-resolved', onResolved);
    events.off('links-changed', onLinks);
  };
}
