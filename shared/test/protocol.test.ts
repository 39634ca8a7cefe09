import { describe, expect, it } from 'vitest';
import {
  Action, HIDDEN_VALUE, PROTOCOL_VERSION, ReportKind, SyncReason, SyncStatus, ProtocolError,
  canonicalJson, clusterOfJobId, hideSecretValues, reportJobId, reportValidator, signReport,
  verifyReportSignature, verifyReportText, type DriftItem, type UnsignedReport,
} from '../src/index.js';

const key = 'ab'.repeat(32);
const otherKey = 'cd'.repeat(32);

function heartbeat(overrides: Partial<UnsignedReport> = {}): UnsignedReport {
  return {
    protocolVersion: PROTOCOL_VERSION, cluster: 'eu-1', seq: 7, time: '2026-11-26T10:00:00.000Z',
    kind: ReportKind.Heartbeat,
    body: { revision: 'abc', objects: 3, driftCount: 0, agentVersion: '0.1.0', readiness: { ready: 3, notReady: 0, waiting: 0 } },
    ...overrides,
  } as UnsignedReport;
}

describe('canonicalJson', () => {
  it.each([
    ['sorts object keys', { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    ['keeps array order', [3, 1, 2], '[3,1,2]'],
    ['drops undefined members', { a: undefined, b: null }, '{"b":null}'],
    ['escapes strings like JSON', { 'k"': 'v\n' }, '{"k\\"":"v\\n"}'],
    ['sorts keys in objects nested in ordered ones and in arrays', { a: [{ d: 1, c: [{ f: 1, e: 2 }] }], b: { y: 1, x: 2 } }, '{"a":[{"c":[{"e":2,"f":1}],"d":1}],"b":{"x":2,"y":1}}'],
    ['writes undefined array items as null', [undefined, 1], '[null,1]'],
    ['sorts integer-like keys as strings', { 2: 'b', 10: 'a', x: 'c', '': 'd' }, '{"":"d","10":"a","2":"b","x":"c"}'],
    ['writes -0, NaN and Infinity as JSON does', { a: -0, b: Number.NaN, c: [Infinity] }, '{"a":0,"b":null,"c":[null]}'],
    ['writes a member holding a function as null', { b: 1, a: () => 1 }, '{"a":null,"b":1}'],
    ['writes a date by its own keys (none)', { at: new Date(0) }, '{"at":{}}'],
    ['takes objects without a prototype', Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});

describe('when a report is signed', () => {
  it('verifies with the same key whatever the key order of the body', () => {
    const signed = signReport(heartbeat(), key);
    const { body, signature, ...rest } = signed;
    const reordered = JSON.parse(JSON.stringify({ signature, body: { ...body }, ...rest }));
    expect(verifyReportSignature(reordered, key)).toBe(true);
  });

  it('is sent with its keys in canonical order, the signature in its sorted place', () => {
    const signed = signReport(heartbeat(), key);
    const { signature, ...unsigned } = signed;
    const text = JSON.stringify(signed);
    expect(JSON.stringify(unsigned)).toBe(canonicalJson(heartbeat()));
    expect(Object.keys(signed)).toEqual([...Object.keys(signed)].sort());
    expect(text).toContain(`"seq":7,"signature":"${signature}","time"`);
    expect(verifyReportSignature(JSON.parse(text), key)).toBe(true);
  });

  it('verifies the text it came in, in canonical order or not', () => {
    const signed = signReport(heartbeat(), key);
    const text = JSON.stringify(signed);
    expect(verifyReportText(text, JSON.parse(text), key)).toBe(true);
    const { signature, ...unsigned } = signed;
    const reordered = JSON.stringify({ signature, ...unsigned, body: { ...signed.body } });
    expect(verifyReportText(reordered, JSON.parse(reordered), key)).toBe(true);
    const spaced = JSON.stringify(signed, null, 1);
    expect(verifyReportText(spaced, JSON.parse(spaced), key)).toBe(true);
  });

  it('does not verify a text changed anywhere, also around its signature', () => {
    const signed = signReport(heartbeat(), key);
    const text = JSON.stringify(signed);
    const member = `,"signature":"${signed.signature}"`;
    const changed = [
      text.replace('"seq":7', '"seq":8'),
      // The signature member moved into the body: the report's own signature is then elsewhere.
      text.replace(member, '').replace('"body":{', `"body":{"signature":"${signed.signature}",`).replace('"seq":7', `"seq":7${member}`).replace('"objects":3', '"objects":4'),
      // A second top-level member of that name: the cut text holds one, which no signer signs.
      text.replace('"seq":7', `"seq":7${member}`).replace('"seq":7', '"seq":9'),
    ];
    for (const forged of changed) expect(verifyReportText(forged, JSON.parse(forged), key)).toBe(false);
    expect(verifyReportText(text, JSON.parse(text), otherKey)).toBe(false);
  });

  it('does not verify with another cluster key', () => {
    expect(verifyReportSignature(signReport(heartbeat(), key), otherKey)).toBe(false);
  });

  it('does not verify once any field changed', () => {
    const signed = signReport(heartbeat(), key);
    expect(verifyReportSignature({ ...signed, seq: 8 }, key)).toBe(false);
    expect(verifyReportSignature({ ...signed, cluster: 'eu-2' }, key)).toBe(false);
  });
});

describe('when a report is validated', () => {
  it('accepts every kind with a well-formed body', () => {
    const reports: UnsignedReport[] = [
      heartbeat(),
      heartbeat({ kind: ReportKind.Sync, body: { revision: 'abc', status: SyncStatus.FailedTransient, reason: SyncReason.ApplyFailed, error: 'boom', changes: [{ subject: { group: '', kind: 'ConfigMap', namespace: 'a', name: 'b' }, action: Action.Failed }] } } as Partial<UnsignedReport>),
      heartbeat({ kind: ReportKind.Drift, body: { revision: 'abc', items: [] } } as Partial<UnsignedReport>),
      heartbeat({ kind: ReportKind.Link, body: { links: [] } } as Partial<UnsignedReport>),
    ];
    for (const report of reports) expect(reportValidator.check(signReport(report, key))).toBe(true);
  });

  it('accepts a sync with its duration, and one without it as older agents send', () => {
    const sync = (extra: object) => heartbeat({ kind: ReportKind.Sync, body: { revision: 'abc', status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [], ...extra } } as Partial<UnsignedReport>);
    expect(reportValidator.check(signReport(sync({ durationMs: 1234 }), key))).toBe(true);
    expect(reportValidator.check(signReport(sync({}), key))).toBe(true);
  });

  it.each([
    ['an unknown kind', { kind: 'exec' }, '/kind'],
    ['a negative sync duration', { kind: 'sync', body: { revision: '', status: 'succeeded', reason: 'Succeeded', changes: [], durationMs: -1 } }, '/body/durationMs'],
    ['a fractional sync duration', { kind: 'sync', body: { revision: '', status: 'succeeded', reason: 'Succeeded', changes: [], durationMs: 1.5 } }, '/body/durationMs'],
    ['an unknown sync body member', { kind: 'sync', body: { revision: '', status: 'succeeded', reason: 'Succeeded', changes: [], elapsed: 3 } }, '/body/elapsed'],
    ['a sync reason outside the closed set', { kind: 'sync', body: { revision: '', status: 'failed-transient', reason: 'Oops', changes: [] } }, '/body/reason'],
    ['a cluster name that is not a DNS label', { cluster: 'EU_1' }, '/cluster'],
    ['a zero sequence number', { seq: 0 }, '/seq'],
    ['a time that is not RFC 3339', { time: 'yesterday' }, '/time'],
    ['an unknown protocol version', { protocolVersion: 99 }, '/protocolVersion'],
  ])('rejects %s and names the field', (_name, overrides, field) => {
    const report = signReport(heartbeat(overrides as Partial<UnsignedReport>), key);
    expect(reportValidator.check(report)).toBe(false);
    try {
      reportValidator.assert(report);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).field).toBe(field);
      expect((error as ProtocolError).message).toContain(`field '${field}'`);
    }
  });
});

describe('hideSecretValues', () => {
  const item = (kind: string, path: string): DriftItem => ({
    id: `_${kind}_ns_x`, subject: { group: '', kind, namespace: 'ns', name: 'x' }, type: 'changed', policy: 'alert',
    fields: [{ path, desired: 's3cr3t', live: 'other' }],
  });

  it.each([
    ['every value of a Secret', 'Secret', '/metadata/labels/a', true],
    ['data of any object', 'ConfigMap', '/data/password', true],
    ['a path naming a token', 'ModuleConfig', '/spec/settings/apiToken', true],
    ['an ordinary field', 'ConfigMap', '/metadata/labels/a', false],
  ])('hides %s: %s', (_name, kind, path, hidden) => {
    const [result] = hideSecretValues([item(kind, path)]);
    const field = result!.fields[0]!;
    expect(field.desired === HIDDEN_VALUE && field.live === HIDDEN_VALUE).toBe(hidden);
    expect(JSON.stringify(result).includes('s3cr3t')).toBe(!hidden);
  });

  it('hides secret members nested at any depth in object-valued fields, keeping the rest', () => {
    const [result] = hideSecretValues([{
      id: 'deckhouse.io_ModuleConfig__prometheus', subject: { group: 'deckhouse.io', kind: 'ModuleConfig', namespace: '', name: 'prometheus' },
      type: 'changed', policy: 'alert',
      fields: [{
        path: '/spec/settings',
        desired: { retention: '7d', auth: { password: 's3cr3t', users: [{ name: 'a', privateKey: 'pk-s3cr3t' }] } },
        live: { retention: '7d', auth: { password: 'old-s3cr3t' } },
      }],
    }]);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
    expect(result!.fields[0]).toEqual({
      path: '/spec/settings',
      desired: { retention: '7d', auth: { password: HIDDEN_VALUE, users: [{ name: 'a', privateKey: HIDDEN_VALUE }] } },
      live: { retention: '7d', auth: { password: HIDDEN_VALUE } },
    });
  });
});

describe('report job ids', () => {
  it('round-trip the cluster name', () => {
    expect(clusterOfJobId(reportJobId('eu-1', 42))).toBe('eu-1');
    expect(reportJobId('eu-1', 42)).not.toContain(':');
  });
});
