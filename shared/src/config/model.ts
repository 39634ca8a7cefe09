import type { ApplyPolicy } from '../objects.js';
import type { ClusterSelector, DocumentOf, KindName } from './kinds/index.js';
import type { SourceDocument } from './source.js';

/** One cluster of the inventory. */
export interface ClusterInfo {
  name: string;
  region: string;
  labels: Record<string, string>;
  publicDomain: string;
  clusterDomain: string;
  vars: Record<string, string | number | boolean>;
  source: SourceDocument;
}

/** A validated typed document with where it came from. */
export interface TypedDocument<K extends KindName = KindName> {
  kind: K;
  name: string;
  source: SourceDocument;
  document: DocumentOf<K>;
}

/** One plain manifest document of a ManifestSet folder. */
export interface ManifestDocument {
  source: SourceDocument;
  object: Record<string, unknown>;
  /** `Kind/namespace/name` or `Kind/name` as written (before substitution). */
  label: string;
}

/** A mesh group as the hub sees it: which clusters must be linked, and how. */
export interface MeshGroup {
  name: string;
  type: 'federation' | 'multicluster';
  /** Member cluster names, as listed. */
  members: string[];
  source: { file: string; document: string };
}

export type MaxParallel = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

export interface RolloutWave {
  name: string;
  selector: ClusterSelector;
  /** How many clusters of the wave update at once; unset means all of them. */
  maxParallel: MaxParallel | undefined;
  /** How long the wave must stay healthy before the next one starts. @defaultValue 0 */
  bakeTimeSeconds: number;
  /** How long the wave may take to apply before it counts as failed; unset means no limit. */
  deadlineSeconds: number | undefined;
}

export interface RolloutGates {
  /** Every cluster of the wave applied the revision and its objects are ready. */
  appliedAndReady: boolean;
  /** No new drift reported during the bake time. */
  noNewDrift: boolean;
  /** No federation/multicluster link went down during the bake time. */
  noNewLinkFailures: boolean;
  /** No critical alert is firing for a cluster of the wave. */
  noCriticalAlerts: boolean;
}

export interface WeeklyWindow {
  days: ('Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun')[];
  /** `HH:MM` in the policy's time zone; a window with `to` before `from` runs past midnight. */
  from: string;
  to: string;
}

export interface DateWindow {
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` in the policy's time zone; a bare date means the whole day. */
  from: string;
  to: string;
}

/** A validated rollout policy, with durations in seconds and defaults filled in. */
export interface RolloutPolicy {
  name: string;
  waves: RolloutWave[];
  gates: RolloutGates;
  onFailure: 'pause' | 'rollback';
  unselectedClusters: 'lastWave' | 'excluded';
  blackouts: { timeZone: string; weekly: WeeklyWindow[]; dates: DateWindow[] } | undefined;
  source: { file: string; document: string };
}

/** Documents of every renderable kind, by kind, each list sorted by name. */
export type DocumentsByKind = { [K in KindName]: TypedDocument<K>[] };

/** A loaded, validated fleet repository. */
export interface Fleet {
  /** The inventory, by name, in name order. */
  clusters: Map<string, ClusterInfo>;
  documents: DocumentsByKind;
  /** Plain manifests, keyed by the ManifestSet name that includes them. */
  manifests: Map<string, ManifestDocument[]>;
  meshGroups: MeshGroup[];
  rolloutPolicies: RolloutPolicy[];
}

/** What the agent does with an object when a document says nothing. */
export const DEFAULT_APPLY_POLICY: Readonly<ApplyPolicy> = Object.freeze({ force: false, drift: 'correct', ignore: [], prune: true, recreate: false });
