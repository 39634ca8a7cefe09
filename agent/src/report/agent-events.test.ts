import { describe, expect, it } from 'vitest';
import {
  Action, ErrorClass, PROTOCOL_VERSION, Readiness, ReportKind, SyncBodySchema, SyncReason, SyncStatus, compileValidator, reportValidator,
} from '@netfleet/shared';
import { readinessOf, syncBodyOf } from './agent-events.js';
import type { SyncResult } from '../reconcile/result.js';

const syncBody = compileValidator('sync body', SyncBodySchema);
const syncBodyValid = (body: unknown) => syncBody.check(body);
const subject = (name: string) => ({ group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name });

function result(overrides: Partial<SyncResult>): SyncResult {
  return {
    cluster: 'eu-1', revision: 'new', appliedRevision: 'old', reason: SyncReason.Succeeded, changeSet: [], waitingFor: [], readiness: [],
    startedAt: 0, durationMs: 1, ...overrides,
  };
}

describe('syncBodyOf', () => {
  it.each([
    ['a clean sync', result({}), SyncStatus.Succeeded],
    ['kinds waiting for their module', result({ reason: SyncReason.WaitingForModule, errorClass: ErrorClass.RetryLater }), SyncStatus.Progressing],
    ['objects their controllers have not reconciled yet', result({ reason: SyncReason.WaitingForReadiness, errorClass: ErrorClass.RetryLater }), SyncStatus.Progressing],
    ['an apply failure', result({ reason: SyncReason.ApplyFailed, errorClass: ErrorClass.Transient, message: 'refused' }), SyncStatus.FailedTransient],
    ['a conflict', result({ reason: SyncReason.ConflictDetected, errorClass: ErrorClass.Terminal, message: 'owned by kubectl' }), SyncStatus.FailedTerminal],
  ])('reports %s as %s, with the revision tried and the closed reason', (_name, input, status) => {
    const body = syncBodyOf(input);
    expect(body).toMatchObject({ status, reason: input.reason, revision: 'new' });
    expect(syncBodyValid(body)).toBe(true);
  });

  it.each(Object.values(SyncReason))('reports %s with the status the hub accepts for it', (reason) => {
    const report = { protocolVersion: PROTOCOL_VERSION, cluster: 'eu-1', seq: 1, time: new Date(0).toISOString(), kind: ReportKind.Sync, body: syncBodyOf(result({ reason })), signature: '0'.repeat(64) };
    expect(() => reportValidator.assert(report)).not.toThrow();
  });

  it('reports how long the sync took, never below zero', () => {
    expect(syncBodyOf(result({ durationMs: 1234 })).durationMs).toBe(1234);
    expect(syncBodyOf(result({ durationMs: -5 })).durationMs).toBe(0);
    expect(syncBodyValid(syncBodyOf(result({ durationMs: 1234 })))).toBe(true);
  });

  it('keeps the error within the protocol limit', () => {
    const body = syncBodyOf(result({ reason: SyncReason.RenderFailed, errorClass: ErrorClass.Terminal, message: 'x'.repeat(10_000) }));
    expect(body.error).toHaveLength(4096);
    expect(syncBodyValid(body)).toBe(true);
  });
});

describe('readinessOf', () => {
  it('counts ready (and status-less) objects, the rest, and objects waiting for a module', () => {
    const summary = readinessOf(result({
      readiness: [
        { id: 'a', readiness: Readiness.Ready }, { id: 'b', readiness: Readiness.Unknown },
        { id: 'c', readiness: Readiness.InProgress }, { id: 'd', readiness: Readiness.Failed },
      ],
      changeSet: [{ subject: subject('x'), action: Action.Waiting }, { subject: subject('y'), action: Action.Created }],
    }));
    expect(summary).toEqual({ ready: 2, notReady: 2, waiting: 1 });
  });
});
