import { SyncReason, SyncStatus, type DriftItem, type SyncBody } from '@netfleet/shared';
import type { AgentEvents } from '../events.js';
import type { SyncResult } from '../reconcile/result.js';
import type { Reporter } from './reporter.js';

/** The report body of one sync result. */
export function syncBodyOf(result: SyncResult): SyncBody {
  const status = result.errorClass === undefined
    ? SyncStatus.Succeeded
    : result.reason === SyncReason.WaitingForModule ? SyncStatus.Progressing : SyncStatus.Failed;
  return {
    revision: result.revision,
    status,
    reason: result.reason,
    changes: result.changeSet,
    ...(result.message ? { error: result.message.slice(0, 4096) } : {}),
  };
}

/**
 * Sends the agent's events to the hub: sync results as they come, and the complete current
 * drift whenever it changes. Returns a function that detaches the listeners.
 */
export function reportAgentEvents(events: AgentEvents, reporter: Reporter): () => void {
  let drift: DriftItem[] = [];
  let revision = '';
  const onSync = (result: SyncResult) => {
    revision = result.appliedRevision;
    reporter.sync(syncBodyOf(result));
  };
  const onDrift = (items: DriftItem[]) => {
    drift = items;
    reporter.drift(drift, revision);
  };
  const onResolved = (ids: string[]) => {
    drift = drift.filter((item) => !ids.includes(item.id));
    reporter.drift(drift, revision);
  };
  events.on('synced', onSync);
  events.on('sync-failed', onSync);
  events.on('drift-detected', onDrift);
  events.on('drift-resolved', onResolved);
  return () => {
    events.off('synced', onSync);
    events.off('sync-failed', onSync);
    events.off('drift-detected', onDrift);
    events.off('drift-resolved', onResolved);
  };
}
