import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createWorkTree, startGitServer, type GitServer, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportKind, type Credentials } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState, type LinkMatrixResponse, type LinkObservation } from '@netfleet/shared/protocol/links';
import type { Hub } from '../../src/index.js';
import { READ_TOKEN, TestSender, eventually, heartbeatBody, registerCluster, report, testHub, testKeySpace } from '../helpers.js';

/**
 * A hub following a real fleet repository while its clusters run different revisions: the
 * matrix API shows, for each cluster, the links its own revision declares. Revisions behind
 * the branch tip are loaded in the background from a cache that only fetched the tip.
 */

const EXAMPLE_FLEET = new URL('../../../examples/fleet/', import.meta.url).pathname;
const REGIONS: Record<string, string> = { 'eu-fra-1': 'eu-central', 'eu-ams-1': 'eu-central', 'us-nyc-1': 'us-east', 'ap-sin-1': 'ap-south' };

const payments = (members: string[]) => `apiVersion: netfleet.io/v1alpha1
kind: MeshGroup
metadata:
  name: payments
spec:
  type: federation
  members: [${members.join(', ')}]
`;

async function filesOf(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(root, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

function observation(to: string): LinkObservation {
  const domain = `${to}.k8s.example.com`;
  return {
    kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${domain}/metadata/`, peerDomain: domain,
    state: LinkState.Healthy, reason: LinkReason.ExchangeSucceeded, message: 'exchange succeeded',
  };
}

describe('when clusters run different revisions of the fleet repository', () => {
  const space = testKeySpace('links-revisions');
  let server: GitServer;
  let tree: WorkTree;
  let cacheDir: string;
  let hub: Hub;
  let api: FastifyInstance;
  let sender: TestSender;
  const credentials = new Map<string, Credentials>();
  const seqs = new Map<string, number>();
  /** N-1: payments of three; N: ap-sin-1 joins; the tip: a commit that leaves the mesh alone. */
  const revisions = { previous: '', added: '', tip: '' };

  async function send(cluster: string, kind: ReportKind, body: unknown): Promise<void> {
    const seq = (seqs.get(cluster) ?? 0) + 1;
    seqs.set(cluster, seq);
    await sender.send(credentials.get(cluster)!, report(cluster, seq, kind as ReportKind.Heartbeat, body as ReturnType<typeof heartbeatBody>));
  }

  /** The cluster applied `revision` and reports healthy links to `peers`. */
  async function runs(cluster: string, revision: string, peers: string[]): Promise<void> {
    await send(cluster, ReportKind.Heartbeat, heartbeatBody(revision));
    await send(cluster, ReportKind.Link, { links: peers.map(observation) });
  }

  const matrix = async () => (await api.inject({
    method: 'GET', url: '/api/v1/links?group=payments', headers: { authorization: `Bearer ${READ_TOKEN}` },
  })).json<LinkMatrixResponse>().groups[0]!;
  const cells = async () => (await matrix()).cells.map((cell) => `${cell.from}→${cell.to} ${cell.state}`).sort();

  beforeAll(async () => {
    server = await startGitServer();
    const repo = await server.createRepo('fleet');
    tree = await createWorkTree(repo.dir);
    await tree.write({ ...(await filesOf(EXAMPLE_FLEET)), 'mesh/groups.yaml': payments(['eu-fra-1', 'eu-ams-1', 'us-nyc-1']) });
    revisions.previous = await tree.commit('payments across eu and us');
    await tree.write({ 'mesh/groups.yaml': payments(['eu-fra-1', 'eu-ams-1', 'us-nyc-1', 'ap-sin-1']) });
    revisions.added = await tree.commit('ap-sin-1 joins payments');
    await tree.write({ 'README.md': 'the fleet\n' });
    revisions.tip = await tree.commit('a readme');
    await tree.push();
    cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-links-revisions-'));
    hub = testHub(space, { sweepIntervalMs: 50, rollouts: false, fleetRepo: { url: repo.url, cacheDir, intervalMs: 600_000 } });
    for (const [name, region] of Object.entries(REGIONS)) credentials.set(name, await registerCluster(hub, name, region));
    await hub.start();
    api = await hub.api();
    sender = new TestSender(space);
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await tree.dispose();
    await server.dispose();
    await rm(cacheDir, { recursive: true, force: true });
    await space.cleanup();
  });

  it('expects from each cluster the links its own revision declares', async () => {
    // Before any cluster syncs, the head stands for all of them.
    await eventually(async () => expect((await matrix()).counts.unknown).toBe(12));

    await runs('eu-fra-1', revisions.tip, ['eu-ams-1', 'us-nyc-1', 'ap-sin-1']);
    await runs('ap-sin-1', revisions.added, ['eu-fra-1', 'eu-ams-1', 'us-nyc-1']);
    await runs('eu-ams-1', revisions.previous, ['eu-fra-1', 'us-nyc-1']);
    await runs('us-nyc-1', revisions.previous, ['eu-fra-1', 'eu-ams-1']);
    // N-1 is two commits behind the tip the cache fetched: once loaded, its clusters expect no link to ap-sin-1.
    await eventually(async () => expect(await cells()).toEqual([
      'ap-sin-1→eu-ams-1 healthy', 'ap-sin-1→eu-fra-1 healthy', 'ap-sin-1→us-nyc-1 healthy',
      'eu-ams-1→eu-fra-1 healthy', 'eu-ams-1→us-nyc-1 healthy',
      'eu-fra-1→ap-sin-1 healthy', 'eu-fra-1→eu-ams-1 healthy', 'eu-fra-1→us-nyc-1 healthy',
      'us-nyc-1→eu-ams-1 healthy', 'us-nyc-1→eu-fra-1 healthy',
    ]));
    const group = await matrix();
    expect(group.clusters.map((cluster) => cluster.name)).toEqual(['ap-sin-1', 'eu-ams-1', 'eu-fra-1', 'us-nyc-1']);
    expect(group.findings).toEqual([]);
  });

  it('expects the new member from a cluster once it applies the revision that adds it', async () => {
    await send('us-nyc-1', ReportKind.Heartbeat, heartbeatBody(revisions.tip));
    await eventually(async () => expect(await cells()).toContain('us-nyc-1→ap-sin-1 missing'));
    expect((await cells()).filter((cell) => cell.includes('→ap-sin-1'))).toEqual(['eu-fra-1→ap-sin-1 healthy', 'us-nyc-1→ap-sin-1 missing']);
    expect((await matrix()).findings.map((finding) => finding.message)).toEqual(['ap-sin-1 has its IstioFederation for us-nyc-1, but us-nyc-1 has none for ap-sin-1']);
  });
});
