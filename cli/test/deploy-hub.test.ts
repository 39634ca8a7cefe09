/**
 * The shipped manifests keep the hub's Redis to the hub: Redis asks for a password from a
 * Secret, the hub reads that password from a file of the same Secret, a NetworkPolicy
 * admits only the hub pods, and the agent is given the hub's URL, never its Redis.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AGENT_COMMAND } from '../src/install/agent-manifests.js';
import type { V1Deployment } from '@kubernetes/client-node';
import { HUB_COMMAND, hubManifests } from '../src/install/hub-manifests.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
interface Container { command?: string[]; args?: string[]; resources?: unknown; env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>; volumeMounts?: Array<{ name: string; mountPath: string }> }
interface PodTemplate { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; volumes?: Array<{ name: string; secret?: { secretName: string } }> } }

async function manifests(path: string): Promise<Manifest[]> {
  return parseAllDocuments(await readFile(join(ROOT, path), 'utf8')).map((document) => document.toJS() as Manifest);
}

describe('deploy/hub/hub.yaml with deploy/redis/redis.yaml', async () => {
  const all = [...await manifests('deploy/hub/hub.yaml'), ...await manifests('deploy/redis/redis.yaml')];
  const find = (kind: string, name: string) => all.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)!;
  const redis = (find('StatefulSet', 'hub-redis').spec.template as PodTemplate);
  const hub = (find('Deployment', 'netfleet-hub').spec.template as PodTemplate);

  it('runs Redis with a password from the hub-redis Secret', () => {
    const [container] = redis.spec.containers;
    const args = container!.args!;
    expect(args[args.indexOf('--requirepass') + 1]).toBe('$(REDIS_PASSWORD)');
    expect(container!.env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'hub-redis', key: 'password' } } });
  });

  it('has the hub read that password from a file of the same Secret', () => {
    const [container] = hub.spec.containers;
    const file = container!.env!.find((variable) => variable.name === 'NETFLEET_HUB_REDIS_PASSWORD_FILE')!.value!;
    const mount = container!.volumeMounts!.filter((candidate) => file.startsWith(`${candidate.mountPath}/`))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0]!;
    expect(hub.spec.volumes!.find((volume) => volume.name === mount.name)?.secret?.secretName).toBe('hub-redis');
    expect(file.slice(mount.mountPath.length + 1)).toBe('password');
  });

  it('routes only the API and the dashboard from outside: the probes and /metrics, which take no token, stay in the cluster', () => {
    const rules = find('Ingress', 'netfleet-hub').spec.rules as Array<{ http: { paths: Array<{ path: string; pathType: string }> } }>;
    const paths = rules.flatMap((rule) => rule.http.paths);
    expect(paths.every((path) => path.pathType === 'Prefix')).toBe(true);
    // Prefix matching as Ingress defines it: element by element of the '/'-split path.
    const routed = (url: string) => paths.some(({ path }) => {
      const prefix = path.split('/').filter(Boolean);
      return prefix.every((element, index) => url.split('/').filter(Boolean)[index] === element);
    });
    expect(['/api/v1/reports', '/api/v1/assignment', '/api/v1/webhooks/git', '/ui', '/ui/assets/index.js'].filter((url) => !routed(url))).toEqual([]);
    expect(['/metrics', '/healthz', '/readyz', '/', '/apiary'].filter(routed)).toEqual([]);
  });

  it('runs the hub with the node flags and memory `netfleet install` gives it', () => {
    const installed = hubManifests({ namespace: 'netfleet-hub', image: 'netfleet:0.1.0', host: 'hub.example.com', redisImage: 'redis:7' }).objects
      .find((object): object is V1Deployment => object.kind === 'Deployment')!.spec!.template.spec!.containers[0]!;
    expect(hub.spec.containers[0]!.command).toEqual(HUB_COMMAND);
    expect(installed.command).toEqual(HUB_COMMAND);
    expect(hub.spec.containers[0]!.resources).toEqual(installed.resources);
  });

  it('admits only the hub pods to Redis', () => {
    const policy = find('NetworkPolicy', 'hub-redis').spec as {
      podSelector: { matchLabels: Record<string, string> }; policyTypes: string[];
      ingress: Array<{ from: Array<{ podSelector: { matchLabels: Record<string, string> } }>; ports: Array<{ port: number }> }>;
    };
    expect(policy.podSelector.matchLabels).toEqual(redis.metadata.labels);
    expect(policy.policyTypes).toEqual(['Ingress']);
    expect(policy.ingress).toEqual([{ from: [{ podSelector: { matchLabels: hub.metadata.labels } }], ports: [{ protocol: 'TCP', port: 6379 }] }]);
  });
});

describe('deploy/agent/agent.yaml', () => {
  it('points the agent at the hub API over HTTPS and at no Redis', async () => {
    const [deployment] = (await manifests('deploy/agent/agent.yaml')).filter((manifest) => manifest.kind === 'Deployment');
    const container = (deployment!.spec.template as PodTemplate).spec.containers[0]!;
    expect(container.args).toContain('--hub-url=https://hub.example.com');
    expect(JSON.stringify(container)).not.toMatch(/redis/i);
  });

  it('runs the agent with the node flags `netfleet install` gives it', async () => {
    const [deployment] = (await manifests('deploy/agent/agent.yaml')).filter((manifest) => manifest.kind === 'Deployment');
    expect((deployment!.spec.template as PodTemplate).spec.containers[0]!.command).toEqual(AGENT_COMMAND);
  });
});
