/**
 * The netfleet agent: pull the fleet repository, render this cluster's objects, apply
 * them with server-side apply, prune, check readiness, and keep them from drifting.
 * @module
 */
export { AgentDaemon, type AgentDaemonParts } from './daemon/daemon.js';
export { resolveAgentOptions, defaultAgentOptions, ENV_NAMES, type AgentOptions, type OptionSources } from './daemon/options.js';
export { directoryFleetSource, gitFleetSource, type PolledSource } from './daemon/sources.js';
export { AgentMetrics } from './daemon/metrics.js';
export { AgentEvents, type AgentEventMap } from './events.js';
export { Reconciler, defaultReconcileOptions, type ReconcileOptions, type DesiredState } from './reconcile/reconcile.js';
export { renderCluster } from './reconcile/render.js';
export { SourceError, type FleetSource, type FetchedRevision, type RenderFleet } from './reconcile/source.js';
export type { SyncResult } from './reconcile/result.js';
export { DriftDetector, defaultDriftOptions, type DriftOptions } from './drift/detector.js';
export { KubeClient, FIELD_MANAGER, loadKubeConfig, type KubeClientOptions } from './kube/client.js';
export { Inventory, InventoryStore, INVENTORY_CONFIGMAP, type InventoryStoreOptions } from './inventory/index.js';
export { AppliedMemo } from './ssa/memo.js';
export { unifiedDiff, driftedFields } from './ssa/diff.js';
export * from './errors.js';
export * from '@netfleet/git';
