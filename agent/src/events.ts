import { EventEmitter } from 'node:events';
import type { DriftItem } from '@netfleet/shared';
import type { LinkReportBody } from '@netfleet/shared/protocol/links';
import type { SyncResult } from './reconcile/result.js';

/**
 * Everything the agent tells the outside world, as typed events. The daemon wires
 * them to metrics and logs, and to the hub's Reporter when one is configured; the agent
 * works the same without any listener.
 */
export interface AgentEventMap {
  /** A sync finished without errors (objects may still be in progress). */
  synced: [result: SyncResult];
  /** A sync failed or left objects waiting; the result says why and how it is retried. */
  'sync-failed': [result: SyncResult];
  /** The complete current drift, each time it changes (new items, or items gone). */
  'drift-detected': [items: DriftItem[]];
  /** Drifted objects that are back in line (corrected, or fixed by someone else). */
  'drift-resolved': [ids: string[]];
  /** A drifted object was re-applied under `correct`. */
  'drift-corrected': [item: DriftItem];
  /** Another field manager reverted a corrected object again: from now on its corrections back off. */
  'drift-fight': [item: DriftItem];
  /** The federation and multicluster links changed (a state, reason or probe outcome): every link of the cluster. */
  'links-changed': [body: LinkReportBody];
}

export class AgentEvents extends EventEmitter<AgentEventMap> {}
