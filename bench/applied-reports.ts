import {
  PROTOCOL_VERSION, ReportKind, SyncReason, SyncStatus, reportJobId, signReport, type Credentials, type UnsignedReport,
} from '../shared/src/index.js';

/**
 * A simulated agent's reports for a revision it applied: a sync of `revision` (seq) and a
 * heartbeat with everything ready (seq + 1), signed, as report queue jobs holding each
 * report's JSON text, as the API queues them.
 */
export function appliedReportJobs(credentials: Credentials, seq: number, revision: string) {
  const cluster = credentials.cluster;
  const time = new Date().toISOString();
  const reports: UnsignedReport[] = [
    { protocolVersion: PROTOCOL_VERSION, cluster, seq, time, kind: ReportKind.Sync, body: { revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] } } as UnsignedReport,
    { protocolVersion: PROTOCOL_VERSION, cluster, seq: seq + 1, time, kind: ReportKind.Heartbeat, body: { revision, objects: 5, driftCount: 0, agentVersion: 'bench', readiness: { ready: 5, notReady: 0, waiting: 0 } } } as UnsignedReport,
  ];
  return reports.map((unsigned) => {
    const signed = signReport(unsigned, credentials.reportKey);
    return { name: signed.kind, data: JSON.stringify(signed), opts: { jobId: reportJobId(signed.cluster, signed.seq), removeOnComplete: true, removeOnFail: true } };
  });
}
