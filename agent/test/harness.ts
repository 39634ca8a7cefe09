import { createHash } from 'node:crypto';
import {
  OWNER_LABEL, OWNER_VALUE, objectId, refOf,
  type ApplyPolicy, type KubeObject, type RenderedObject,
} from '@netfleet/shared';
import { startKubeApiServer, type KubeApiServer } from '@netfleet/test/kube/server';
import { KubeClient } from '../src/kube/client.js';

/** Polls `check` until it stops throwing (or returns true), like Gomega's Eventually. */
export async function eventually<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      throw new Error('condition is false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

/** An API test server with the DKP CRDs netfleet renders installed. */
export async function startCluster(options: { crds?: (file: string) => boolean } = {}): Promise<KubeApiServer> {
  const kube = await startKubeApiServer();
  await kube.installDkpCrds(options.crds);
  return kube;
}

/** A client that retries quickly, so fault tests stay fast. */
export function clientFor(kube: KubeApiServer, fieldManager = 'netfleet'): KubeClient {
  return new KubeClient({ kubeConfig: kube.kubeConfig(), fieldManager, retry: { baseDelayMs: 10, maxDelayMs: 200, retries: 6 } });
}

export const defaultPolicy = (): ApplyPolicy => ({ force: false, drift: 'correct', ignore: [], prune: true, recreate: false });

/** A RenderedObject as the renderer makes it: owner label, id and content hash. */
export function rendered(object: KubeObject, policy: Partial<ApplyPolicy> = {}): RenderedObject {
  const withOwner: KubeObject = { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [OWNER_LABEL]: OWNER_VALUE } } };
  return {
    id: objectId(refOf(withOwner)),
    object: withOwner,
    hash: createHash('sha256').update(JSON.stringify(withOwner)).digest('hex'),
    source: { file: 'test.yaml', document: '0' },
    policy: { ...defaultPolicy(), ...policy },
  };
}

let counter = 0;
/** A name unique in this test process. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export const namespace = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const configMap = (ns: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data,
});

export const ingressController = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name },
  spec: { ingressClass: 'nginx', inlet: 'LoadBalancer', loadBalancer: {}, ...spec },
});

export const moduleConfig = (name: string, settings: Record<string, unknown> = {}, version = 1): KubeObject => ({
  apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name },
  spec: { enabled: true, ...(Object.keys(settings).length > 0 ? { version, settings } : {}) },
});
