import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportKind, type Alert, type Credentials } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { AlertRule, type Hub } from '../../src/index.js';
import { TestSender, eventually, registerCluster, report, testHub, testKeySpace } from '../helpers.js';
import { startReceiver } from '../receivers.js';

/**
 * Link health across hub replicas sharing one Redis: each replica builds its matrix from
 * the stored link reports (whichever replica ingested them), and link alerts come from the
 * sweeper leader only, so a replica taking over resolves what the previous leader raised.
 */

const space = testKeySpace('links-replicas');
const REGIONS: Record<string, string> = { 'eu-1': 'eu', 'eu-2': 'eu', 'us-1': 'us', 'us-2': 'us', 'ap-1': 'ap' };
const NAMES = Object.keys(REGIONS);
const fleet = {
  meshGroups: [{ name: 'mesh', type: 'federation' as const, members: NAMES }],
  clusters: new Map(NAMES.map((name) => [name, { name, region: REGIONS[name]!, publicDomain: `${name}.example.com` }])),
};

let replicas: Hub[];
const closed = new Set<Hub>();
let sender: TestSender;
let webhook: Awaited<ReturnType<typeof startReceiver>>;
const credentials = new Map<string, Credentials>();
const seqs = new Map<string, number>();

function observation(to: string, state: LinkState): LinkObservation {
  return {
    kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
    state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.PublicMetadataStale, message: state,
  };
}

/** `from` reports its links: stale towards `staleTo`, healthy towards the others. */
async function reportLinks(from: string, staleTo: readonly string[] = []): Promise<void> {
  const seq = (seqs.get(from) ?? 0) + 1;
  seqs.set(from, seq);
  const links = NAMES.filter((to) => to !== from).map((to) => observation(to, staleTo.includes(to) ? LinkState.Stale : LinkState.Healthy));
  await sender.send(credentials.get(from)!, report(from, seq, ReportKind.Link, { links }));
}

const linkAlerts = () => webhook.received
  .map((request) => (JSON.parse(request.body) as { alert: Alert }).alert)
  .filter((alert) => alert.rule === AlertRule.LinkPartition || alert.rule === AlertRule.LinkProblem);

beforeAll(async () => {
  webhook = await startReceiver();
  const options = {
    sweepIntervalMs: 50, leaseTtlMs: 500, rollouts: false, deliveryBackoffMs: 50,
    // Reports of a cut land a few ms apart: a shape lasting 500 ms is no passing one.
    links: { raiseAfterMs: 500, resolveAfterMs: 300 },
    sinks: [{ type: 'webhook' as const, name: 'hook', url: `${webhook.url}/alerts`, secret: 'hook-secret' }],
  };
  // Only the first replica ingests and it never leads: the others know the reports from Redis alone.
  replicas = [
    testHub(space, { ...options, replicaId: 'replica-a', sweeper: false }),
    testHub(space, { ...options, replicaId: 'replica-b', ingest: false }),
    testHub(space, { ...options, replicaId: 'replica-c', ingest: false }),
  ];
  for (const replica of replicas) {
    replica.linkHealth.setFleet(fleet, 'rev-1');
    await replica.start();
  }
  sender = new TestSender(space);
  for (const name of NAMES) credentials.set(name, await registerCluster(replicas[0]!, name, REGIONS[name]));
});

afterAll(async () => {
  await sender.close();
  for (const replica of replicas) if (!closed.has(replica)) await replica.close();
  await webhook.close();
  await space.cleanup();
});

describe('when hub replicas share a Redis', () => {
  it('serves the same matrix from every replica, whichever one ingested the reports', async () => {
    for (const name of NAMES) await reportLinks(name);
    for (const replica of replicas) {
      await eventually(() => {
        const cells = replica.linkHealth.links.view().groups[0]!.cells;
        expect(cells.filter((cell) => cell.state === LinkState.Healthy)).toHaveLength(20);
      });
    }
  });

  it('raises a partition once, and the replica that takes over the lease resolves it', async () => {
    for (const name of ['us-1', 'us-2', 'ap-1']) await reportLinks(name, ['eu-1', 'eu-2']);
    await eventually(() => expect(linkAlerts().map((alert) => [alert.rule, alert.status, alert.summary])).toEqual([
      [AlertRule.LinkPartition, 'firing', 'region eu unreachable from 3 clusters'],
    ]));
    for (const replica of replicas) expect(replica.linkHealth.links.view().partitions).toHaveLength(1);

    const leader = await eventually(() => replicas.find((replica) => replica.sweeper.isLeader)!);
    const follower = replicas.find((replica) => replica !== leader && replica.options.sweeper)!;
    closed.add(leader);
    await leader.close();
    await eventually(() => expect(follower.sweeper.isLeader).toBe(true));
    for (const name of ['us-1', 'us-2', 'ap-1']) await reportLinks(name);
    await eventually(() => expect(linkAlerts().map((alert) => [alert.rule, alert.status])).toEqual([
      [AlertRule.LinkPartition, 'firing'], [AlertRule.LinkPartition, 'resolved'],
    ]));
  });

  it('fires a broken link’s alert and resolves it once the link heals, with the leader publishing only what changed', async () => {
    const before = linkAlerts().length;
    const since = () => linkAlerts().slice(before).map((alert) => [alert.rule, alert.status]);
    await reportLinks('us-1', ['ap-1']);
    await eventually(() => expect(since()).toEqual([[AlertRule.LinkProblem, 'firing']]));
    await reportLinks('us-1');
    await eventually(() => expect(since()).toEqual([[AlertRule.LinkProblem, 'firing'], [AlertRule.LinkProblem, 'resolved']]));
  });
});
