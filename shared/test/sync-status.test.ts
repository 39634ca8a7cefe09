import { describe, expect, it } from 'vitest';
import {
  ErrorClass, PROTOCOL_VERSION, ProtocolError, ReportKind, SyncReason, SyncStatus, reasonClass, reasonStatus, reportValidator, type Report,
} from '../src/index.js';

const syncReport = (reason: string, status: string) => ({
  protocolVersion: PROTOCOL_VERSION, cluster: 'eu-1', seq: 1, time: '2026-01-01T00:00:00Z', kind: ReportKind.Sync,
  body: { revision: 'abc', status, reason, changes: [] }, signature: '0'.repeat(64),
});

describe('the sync-status contract', () => {
  it('gives every reason exactly one of the four statuses, and uses each status', () => {
    const statuses = Object.values(SyncStatus);
    expect(Object.keys(reasonStatus).sort()).toEqual(Object.values(SyncReason).sort());
    for (const reason of Object.values(SyncReason)) expect(statuses, reason).toContain(reasonStatus[reason]);
    expect(new Set(Object.values(reasonStatus))).toEqual(new Set(statuses));
  });

  it('holds a sync back as progressing only while the cluster has something to do first', () => {
    const progressing = Object.values(SyncReason).filter((reason) => reasonStatus[reason] === SyncStatus.Progressing);
    expect(progressing.sort()).toEqual([SyncReason.WaitingForModule, SyncReason.WaitingForNamespace, SyncReason.WaitingForReadiness]);
  });

  it('derives how the agent retries from the status: terminal waits for a new revision, the rest retry', () => {
    for (const reason of Object.values(SyncReason)) {
      const expected = { [SyncStatus.Succeeded]: undefined, [SyncStatus.Progressing]: ErrorClass.RetryLater, [SyncStatus.FailedTransient]: ErrorClass.Transient, [SyncStatus.FailedTerminal]: ErrorClass.Terminal }[reasonStatus[reason]];
      expect(reasonClass[reason], reason).toBe(expected);
    }
  });

  describe.each(Object.values(SyncReason))('a sync report with reason %s', (reason) => {
    it('is accepted with its own status', () => {
      expect(reportValidator.assert(syncReport(reason, reasonStatus[reason])) as Report).toMatchObject({ body: { reason } });
    });

    it.each(Object.values(SyncStatus).filter((status) => status !== reasonStatus[reason]))('is refused as %s, naming /body/status and the expected status', (status) => {
      const report = syncReport(reason, status);
      expect(reportValidator.check(report)).toBe(false);
      let error: unknown;
      try {
        reportValidator.assert(report);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).field).toBe('/body/status');
      expect((error as ProtocolError).message).toContain(`must be '${reasonStatus[reason]}' for reason ${reason}`);
    });
  });

  it('refuses a status outside the four', () => {
    expect(reportValidator.check(syncReport(SyncReason.ApplyFailed, 'failed'))).toBe(false);
  });
});
