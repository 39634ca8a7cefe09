import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN_VALUE, createLogger, type DriftItem } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, namespace, rendered, startCluster } from '../../test/harness.js';
import { AgentEvents } from '../events.js';
import type { KubeClient } from '../kube/client.js';
import { AppliedMemo } from '../ssa/memo.js';
import { DriftDetector, defaultDriftOptions } from './detector.js';

const SECRET_VALUE = 'correct-horse-battery-staple';
const CHANGED_VALUE = 'hunter2-hunter2';
const encode = (text: string) => Buffer.from(text).toString('base64');

let kube: KubeApiServer;
let client: KubeClient;
let detector: DriftDetector;
let logs = '';
const detected: DriftItem[][] = [];

const secret = rendered({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'peer-ca', namespace: 'mesh' }, type: 'Opaque', data: { token: encode(SECRET_VALUE) } });

beforeAll(async () => {
  kube = await startCluster({ crds: () => false });
  client = clientFor(kube);
  const events = new AgentEvents();
  events.on('drift-detected', (items) => detected.push(items));
  const logger = createLogger({ name: 'drift-test', level: 'debug', destination: new Writable({ write(chunk, _encoding, done) { logs += String(chunk); done(); } }) });
  // `mode: alert` overrides the object's `correct` policy.
  detector = new DriftDetector(client, new AppliedMemo(), events, logger, defaultDriftOptions({ mode: 'alert', resyncIntervalMs: 3_600_000 }));
  detector.start();
  await detector.exclusive(async () => {
    await client.apply(namespace('mesh'), { force: false });
    await client.apply(secret.object, { force: false });
  }, () => [secret]);
  await eventually(() => expect(detector.synced).toBe(true));
});
afterAll(async () => {
  detector?.stop();
  await kube?.stop();
});

describe('when a Secret netfleet manages is changed by someone else', () => {
  it('reports which key changed, never the values, in drift items and logs', async () => {
    await clientFor(kube, 'kubectl').apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'peer-ca', namespace: 'mesh' }, data: { token: encode(CHANGED_VALUE) } }, { force: true });
    await eventually(() => expect(detector.items).toHaveLength(1));
    expect(detector.items[0]).toMatchObject({ type: 'changed', policy: 'alert', fields: [{ path: '/data/token', desired: HIDDEN_VALUE, live: HIDDEN_VALUE }] });
    const everything = JSON.stringify(detected) + logs;
    expect(logs).toContain('drift detected');
    for (const value of [SECRET_VALUE, CHANGED_VALUE, encode(SECRET_VALUE), encode(CHANGED_VALUE)]) expect(everything).not.toContain(value);
  });

  it('leaves it changed under alert', async () => {
    const live = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'mesh', name: 'peer-ca' });
    expect((live!.data as Record<string, string>).token).toBe(encode(CHANGED_VALUE));
  });
});
