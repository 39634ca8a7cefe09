import type { Action} from '@netfleet/shared';
import { ReportKind, hideSecretValues, type Report } from '@netfleet/shared';
import { isWorkingLinkState, linkResourceKey } from '@netfleet/shared/protocol/links';
import type { GuardedFields } from '../redis/scripts.js';

/** What one verified report writes: field groups (each guarded by its kind's last seq) and an event. */
export interface ReportEffects {
  groups: GuardedFields[];
  /** Event JSON for the cluster history, '' for none (heartbeats and links add none). */
  event: string;
}

const shortRevision = (revision: string) => revision.slice(0, 12) || '(none)';

/**
 * Turns a report into state writes. Each field group has its own guard, so a report that
 * arrives late never overwrites what a newer report of the same kind wrote; the applied
 * revision has a guard of its own because heartbeats and successful syncs both set it.
 * Times are the hub's receive time: an agent's clock never dates the hub's state.
 */
export function reportEffects(report: Report, receivedAt: number): ReportEffects {
  const time = receivedAt;
  switch (report.kind) {
    case ReportKind.Heartbeat: {
      const body = report.body;
      return {
        groups: [
          {
            guard: 'heartbeatSeq',
            fields: {
              objects: body.objects, agentVersion: body.agentVersion, readiness: JSON.stringify(body.readiness),
              ...(body.links ? { linkSummary: JSON.stringify(body.links) } : {}),
            },
          },
          { guard: 'revisionSeq', fields: { revision: body.revision } },
        ],
        event: '',
      };
    }
    case ReportKind.Sync: {
      const body = report.body;
      const counts: Partial<Record<Action, number>> = {};
      for (const change of body.changes) counts[change.action] = (counts[change.action] ?? 0) + 1;
      const groups: GuardedFields[] = [{
        guard: 'syncSeq',
        fields: {
          syncStatus: body.status, syncReason: body.reason, syncError: body.error ?? '',
          syncRevision: body.revision, syncAt: time, syncChanges: JSON.stringify(counts),
          // '' when the agent did not say (older agents), so a previous sync's duration is not kept.
          syncDurationMs: body.durationMs ?? '',
        },
      }];
      if (body.status === 'succeeded') groups.push({ guard: 'revisionSeq', fields: { revision: body.revision } });
      const summary = Object.entries(counts).map(([action, count]) => `${count} ${action}`).join(', ');
      return {
        groups,
        event: JSON.stringify({
          time, type: 'sync', seq: report.seq, revision: body.revision,
          message: `sync ${body.status} (${body.reason}) at ${shortRevision(body.revision)}${summary ? `: ${summary}` : ''}${body.error ? ` — ${body.error}` : ''}`,
          sync: { status: body.status, reason: body.reason, changes: counts, ...(body.durationMs === undefined ? {} : { durationMs: body.durationMs }) },
        }),
      };
    }
    case ReportKind.Drift: {
      const body = report.body;
      const drift = { revision: body.revision, items: hideSecretValues(body.items), truncated: body.truncated ?? false, updatedAt: receivedAt };
      return {
        groups: [{ guard: 'driftSeq', fields: { drift: JSON.stringify(drift), driftCount: body.items.length } }],
        event: JSON.stringify({
          time, type: 'drift', seq: report.seq, revision: body.revision,
          message: body.items.length === 0 ? 'no drift' : `${body.items.length} drifted object(s)${body.truncated ? ' (list truncated)' : ''}`,
        }),
      };
    }
    case ReportKind.Link: {
      // Since when each link fails, in the hub's clock, so rollouts tell new failures from old ones.
      const failing = report.body.links.filter((link) => !isWorkingLinkState(link.state)).map(linkResourceKey);
      return {
        groups: [{ guard: 'linkSeq', fields: { links: JSON.stringify(report.body) }, firstSeen: { field: 'linkFailingSince', keys: failing } }],
        event: '',
      };
    }
  }
}
