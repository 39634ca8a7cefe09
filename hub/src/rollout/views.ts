import type { AssignmentView, RolloutClusterView, RolloutDetail, RolloutSummary, RolloutWaveView } from '@netfleet/shared';
import { REPORTED_GATES } from './gates.js';
import { RolloutPhase, type ClusterProgress, type Rollout, type RolloutHeader } from './machine.js';
import { assignmentTag, type StoredAssignment, type StoredNotice } from './store.js';

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export function rolloutSummary(rollout: RolloutHeader): RolloutSummary {
  return {
    id: rollout.id, revision: rollout.revision, previousRevision: rollout.previousRevision, policy: rollout.policy.name,
    phase: rollout.phase, wave: rollout.wave, waveCount: rollout.plan.waves.length, clusterCount: rollout.plan.waves.reduce((count, wave) => count + wave.clusters.length, 0),
    hold: rollout.hold && { reason: rollout.hold.reason, clusters: rollout.hold.clusters, until: iso(rollout.hold.until) },
    reason: rollout.reason, createdAt: iso(rollout.createdAt)!, updatedAt: iso(rollout.updatedAt)!,
  };
}

export function rolloutDetail(rollout: Rollout, notices: StoredNotice[]): RolloutDetail {
  return {
    ...rolloutSummary(rollout),
    failurePolicy: rollout.failurePolicy,
    deadlineAt: iso(rollout.deadlineAt),
    blackout: { active: rollout.blackout.active, endsAt: iso(rollout.blackout.endsAt) },
    waves: rollout.plan.waves.map((wave, index): RolloutWaveView => ({
      name: wave.name,
      state: waveState(rollout, index),
      maxParallel: wave.maxParallel,
      bakeTimeSeconds: wave.bakeTimeMs / 1000,
      deadlineSeconds: wave.deadlineMs === null ? null : wave.deadlineMs / 1000,
      startedAt: iso(rollout.waves[index]!.startedAt),
      bakeStartedAt: iso(rollout.waves[index]!.bakeStartedAt),
      completedAt: iso(rollout.waves[index]!.completedAt),
      clusters: wave.clusters.map((name) => clusterView(name, rollout.clusters[name]!, wave.gates)),
    })),
    excluded: rollout.plan.excluded,
    carriedOver: rollout.carriedOver,
    notices: notices.map((notice) => ({
      kind: notice.kind, message: notice.message, at: iso(notice.at)!,
      ...(notice.wave === undefined ? {} : { wave: notice.wave }), ...(notice.cluster === undefined ? {} : { cluster: notice.cluster }),
    })),
  };
}

export function assignmentView(assignment: StoredAssignment): AssignmentView {
  return {
    cluster: assignment.cluster, revision: assignment.revision, rolloutId: assignment.rolloutId, attempt: assignment.attempt,
    reason: assignment.reason, assignedAt: iso(assignment.assignedAt)!, tag: assignmentTag(assignment),
  };
}

function waveState(rollout: RolloutHeader, index: number): RolloutWaveView['state'] {
  const timing = rollout.waves[index]!;
  if (timing.completedAt !== null) return 'done';
  if (index !== rollout.wave || timing.startedAt === null) return 'waiting';
  if (rollout.phase === RolloutPhase.Progressing) return 'progressing';
  if (rollout.phase === RolloutPhase.Baking) return 'baking';
  // Paused, failed, or ended by a rollback, abort or newer revision while on this wave.
  return 'held';
}

function clusterView(name: string, cluster: ClusterProgress, gates: readonly string[]): RolloutClusterView {
  const failingGates = REPORTED_GATES.filter((gate) => gates.includes(gate) && !cluster.gates[gate]);
  const details = Object.fromEntries(failingGates.flatMap((gate) => (cluster.gateDetails?.[gate] ? [[gate, cluster.gateDetails[gate]]] : [])));
  return {
    name, status: cluster.status, attempt: cluster.attempt, online: cluster.online, applied: cluster.applied, ready: cluster.ready,
    failingGates, ...(Object.keys(details).length > 0 ? { gateDetails: details } : {}), reason: cluster.reason,
  };
}
