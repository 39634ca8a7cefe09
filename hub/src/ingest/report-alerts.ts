import { ReportKind, isFailedStatus, type Report } from '@netfleet/shared';
import type { IngestOutcome } from '../redis/scripts.js';
import type { AlertChange } from '../alerts/alert-engine.js';
import { AlertRule, alertFingerprint, condition } from '../alerts/rules.js';

/**
 * The alert changes an applied report makes, read from the ingest script's before/after
 * values: back from offline, a failed sync (and the first success after one), drift that
 * appeared or cleared. Most reports (heartbeats of a healthy cluster) make none.
 */
export function alertChanges(report: Report, outcome: IngestOutcome): AlertChange[] {
  const changes: AlertChange[] = [];
  const target = { cluster: report.cluster, region: outcome.region ?? '', revision: outcome.revision ?? '' };
  if (outcome.prevState === 'offline') changes.push({ resolve: alertFingerprint(AlertRule.ClusterOffline, report.cluster) });
  if (report.kind === ReportKind.Sync) {
    if (isFailedStatus(report.body.status)) {
      changes.push({ fire: condition(AlertRule.SyncFailed, { ...target, revision: report.body.revision },
        `sync of ${report.body.revision.slice(0, 12)} failed: ${report.body.reason}${report.body.error ? ` — ${report.body.error}` : ''}`,
        { reason: report.body.reason }) });
    } else if (outcome.sync === 'succeeded' && outcome.prevSync !== 'succeeded') {
      changes.push({ resolve: alertFingerprint(AlertRule.SyncFailed, report.cluster) });
    }
  }
  if (report.kind === ReportKind.Drift && outcome.prevDrift !== outcome.drift) {
    changes.push((outcome.drift ?? 0) > 0
      ? { fire: condition(AlertRule.DriftDetected, target, `${outcome.drift} object(s) drifted from ${target.revision.slice(0, 12) || 'the repository'}`) }
      : { resolve: alertFingerprint(AlertRule.DriftDetected, report.cluster) });
  }
  return changes;
}
