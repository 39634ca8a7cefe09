import { Writable } from 'node:stream';
import { Action, type ClusterList, type DriftItem, type KubeObject } from '@netfleet/shared';
import { LinkState } from '@netfleet/shared/protocol/links';
import { KubeClient } from '../../../agent/src/kube/client.js';
import { AlertRule } from '../../../hub/src/index.js';
import { clustersCommand } from '../../../cli/src/commands/clusters.js';
import { formatLinks } from '../../../cli/src/commands/links.js';
import { DemoError, Narrator, seconds, waitFor } from './narrator.js';
import { hubGet, startSimulatedFleet, type ReceivedAlert, type SimulatedCluster, type SimulatedFleet } from './simulated-fleet.js';
import { runLinkHealth } from './link-health.js';

/**
 * The demo fleet: netfleet at work on a simulated fleet of the example repository's
 * clusters, narrated step by step. Every part is real (Redis, git over smart HTTP, the
 * Kubernetes API test servers, the agent daemons and the hub); nothing but this repository,
 * redis-server and git is needed.
 */

export interface DemoOptions {
  /** Where the narration goes. @defaultValue process.stdout */
  output?: NodeJS.WritableStream;
  /** Where the parts' own warnings go (JSON logs). @defaultValue process.stderr */
  logDestination?: NodeJS.WritableStream;
  /** Clusters of the example fleet to simulate (a smaller fleet runs faster). @defaultValue every cluster */
  clusters?: readonly string[];
  /** Longest wait for any one thing the demo expects to happen. @defaultValue 60000 */
  waitTimeoutMs?: number;
  /** Stops the demo early (Ctrl-C); everything started is still stopped. */
  signal?: AbortSignal;
}

const STEPS = 6;
/** The object another field manager edits in step 3, and the field it changes. */
const DRIFT_TARGET = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' } as const;
const DRIFT_ID = `deckhouse.io_IngressNginxController__${DRIFT_TARGET.name}`;

/** Runs the demo; resolves to the exit code: 0 when every step did what it shows, 1 otherwise. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const say = new Narrator(options.output ?? process.stdout);
  const timeoutMs = options.waitTimeoutMs ?? 60_000;
  const wait = <T>(what: string | (() => string), check: () => Promise<T | undefined | false> | T | undefined | false) => {
    if (options.signal?.aborted) throw new DemoError('interrupted');
    return waitFor(what, timeoutMs, () => {
      if (options.signal?.aborted) throw new DemoError('interrupted');
      return check();
    });
  };
  say.raw('netfleet demo fleet: the example fleet on simulated clusters, with a real hub, agents, Redis and git\n');

  let sim: SimulatedFleet | undefined;
  let failure: unknown;
  try {
    say.step(1, STEPS, 'Starting the fleet: Redis, the git server, one Kubernetes API server and agent per cluster, the hub');
    sim = await startSimulatedFleet({
      ...(options.clusters ? { clusters: options.clusters } : {}),
      ...(options.logDestination ? { logDestination: options.logDestination } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const fleet = sim;
    const head = await fleet.tree.resolve('HEAD');
    say.line(`fleet repository ${fleet.repo.url} at ${head.slice(0, 12)}; hub API at ${fleet.hubUrl}`);
    say.line(`${fleet.clusters.size} clusters registered with bootstrap tokens, agents started (${say.elapsed()})`);
    await firstSync(fleet, say, wait);

    say.step(2, STEPS, 'The fleet as the hub sees it (netfleet clusters)');
    await fleetView(fleet, say, wait, head);

    say.step(3, STEPS, 'Drift: another field manager changes a field netfleet manages');
    await drift(fleet, say, wait);

    say.step(4, STEPS, 'Link health: Istio federation and multicluster links (netfleet links)');
    await linkHealth(fleet, say);

    say.step(5, STEPS, 'Rollout of a new commit, wave by wave');
    say.line('skipped: the agents do not take rollout assignments from the hub yet, so a new commit would reach');
    say.line('every cluster at its next poll instead of wave by wave');
  } catch (error) {
    failure = error;
  }

  say.step(6, STEPS, 'Shutting down');
  const stopping = Date.now();
  try {
    await sim?.close();
    if (sim) say.line(`stopped ${sim.clusters.size} agents and API servers, the hub, Redis and the git server; temp dirs removed (${seconds(Date.now() - stopping)})`);
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) {
    const reason = options.signal?.aborted ? 'interrupted' : failure instanceof Error ? failure.message : String(failure);
    say.raw(`\ndemo failed: ${reason}\n`);
    return 1;
  }
  say.raw(`\ndemo finished in ${say.elapsed()}\n`);
  return 0;
}

type Wait = <T>(what: string | (() => string), check: () => Promise<T | undefined | false> | T | undefined | false) => Promise<T>;

/** Step 1: every agent's first successful sync, with what it applied. */
async function firstSync(fleet: SimulatedFleet, say: Narrator, wait: Wait): Promise<void> {
  const width = Math.max(...[...fleet.clusters.keys()].map((name) => name.length));
  const clusters = [...fleet.clusters.values()];
  const synced = await Promise.all(clusters.map((cluster) => wait(() => `the first successful sync of ${cluster.info.name} (${lastFailure(cluster)})`,
    () => cluster.syncs.find((result) => result.errorClass === undefined))));
  for (const [index, result] of synced.entries()) {
    const cluster = clusters[index]!;
    const counts = new Map<string, number>();
    for (const entry of result.changeSet) counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1);
    const applied = result.changeSet.filter((entry) => entry.action === Action.Created || entry.action === Action.Configured).length;
    const detail = [...counts].map(([action, count]) => `${count} ${action}`).join(', ');
    say.line(`${cluster.info.name.padEnd(width)}  ${cluster.info.region.padEnd(10)}  synced ${result.appliedRevision.slice(0, 12)}: ${String(applied).padStart(3)} objects applied (${detail}) in ${seconds(result.durationMs)}`);
  }
  say.line(`every cluster in sync (${say.elapsed()} since start)`);
}

function lastFailure(cluster: SimulatedCluster): string {
  const last = cluster.syncs.at(-1);
  return last ? `last sync: ${last.reason}${last.message ? `, ${last.message}` : ''}` : 'no sync finished yet';
}

/** Step 2: the hub's fleet list once every cluster reported its sync, printed by the CLI's formatter. */
async function fleetView(fleet: SimulatedFleet, say: Narrator, wait: Wait, head: string): Promise<void> {
  await wait('every cluster online and in sync at the hub', async () => {
    const list = await hubGet<ClusterList>(fleet, '/api/v1/clusters?limit=500');
    return list.items.length === fleet.clusters.size && list.items.every((item) => item.state === 'online' && item.syncStatus === 'succeeded' && item.revision === head);
  });
  const printed: string[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      printed.push(chunk.toString('utf8'));
      callback();
    },
  });
  const code = await clustersCommand.run({ hubUrl: fleet.hubUrl, token: fleet.adminToken, output: 'table' }, [], { stdout, stderr: stdout });
  if (code !== 0) throw new DemoError(`netfleet clusters exited ${code}: ${printed.join('')}`);
  say.block(printed.join(''));
}

/** Step 3: a hand edit of a managed field, detected and corrected by the agent; the hub's alert fires and resolves. */
async function drift(fleet: SimulatedFleet, say: Narrator, wait: Wait): Promise<void> {
  const cluster = fleet.clusters.get('eu-fra-1') ?? [...fleet.clusters.values()][0]!;
  const name = cluster.info.name;
  const detected: DriftItem[] = [];
  const corrected: DriftItem[] = [];
  const onDetected = (items: DriftItem[]) => detected.push(...items.filter((item) => item.id === DRIFT_ID));
  const onCorrected = (item: DriftItem) => {
    if (item.id === DRIFT_ID) corrected.push(item);
  };
  cluster.daemon.events.on('drift-detected', onDetected);
  cluster.daemon.events.on('drift-corrected', onCorrected);
  const alertsBefore = fleet.alerts.length;
  try {
    const kubectl = new KubeClient({ kubeConfig: cluster.kube.kubeConfig(), fieldManager: 'kubectl-edit' });
    const editedAt = Date.now();
    await kubectl.apply({
      apiVersion: DRIFT_TARGET.apiVersion, kind: DRIFT_TARGET.kind, metadata: { name: DRIFT_TARGET.name }, spec: { hsts: false },
    } as KubeObject, { force: true });
    say.line(`${name}: field manager kubectl-edit sets spec.hsts=false on ${DRIFT_TARGET.kind}/${DRIFT_TARGET.name}`);

    const item = await wait(`the agent of ${name} to correct the drift`, () => corrected[0]);
    const fields = (detected[0] ?? item).fields.map((field) => field.path).join(', ');
    say.line(`agent ${name}: drift detected on ${DRIFT_TARGET.kind}/${DRIFT_TARGET.name} (${fields}), policy ${item.policy}`);
    await wait(`spec.hsts back to true in ${name}`, async () => {
      const live = await cluster.client.get({ apiVersion: DRIFT_TARGET.apiVersion, kind: DRIFT_TARGET.kind, name: DRIFT_TARGET.name });
      return (live?.spec as { hsts?: boolean } | undefined)?.hsts === true;
    });
    say.line(`agent ${name}: corrected with a forced apply, spec.hsts is true again ${seconds(Date.now() - editedAt)} after the edit`);

    const driftAlerts = () => fleet.alerts.slice(alertsBefore)
      .filter((received) => received.alert.rule === AlertRule.DriftDetected && received.alert.labels.cluster === name);
    const firing = await wait(`the hub's ${AlertRule.DriftDetected} alert for ${name} to fire`, () => driftAlerts().find((received) => received.alert.status === 'firing'));
    say.line(alertLine(firing, editedAt));
    const resolved = await wait(`the hub's ${AlertRule.DriftDetected} alert for ${name} to resolve`, () => driftAlerts().find((received) => received.alert.status === 'resolved'));
    say.line(alertLine(resolved, editedAt));
  } finally {
    cluster.daemon.events.off('drift-detected', onDetected);
    cluster.daemon.events.off('drift-corrected', onCorrected);
  }
}

function alertLine(received: ReceivedAlert, since: number): string {
  const { alert } = received;
  return `hub alert ${alert.status.toUpperCase().padEnd(8)} ${alert.rule} (${alert.severity}) ${alert.summary} · webhook received ${seconds(received.receivedAt - since)} after the edit`;
}

/** Step 4: DKP's link statuses played on every mesh member, the agents' link reports, the hub's matrix. */
async function linkHealth(fleet: SimulatedFleet, say: Narrator): Promise<void> {
  const members = [...new Set(fleet.fleet.meshGroups.flatMap((group) => group.members))].filter((name) => fleet.clusters.has(name)).sort();
  if (members.length < 2) {
    say.line('skipped: fewer than two mesh-group members are running in this fleet');
    return;
  }
  const stalePeer = members.includes('ap-sin-1') ? 'ap-sin-1' : members.at(-1)!;
  say.line(`playing DKP: fresh metadata exchanges on every link, except that ${stalePeer}'s metadata was last fetched 12 minutes ago`);
  const run = await runLinkHealth(fleet, stalePeer);
  try {
    say.line(`agents' link reports (each peer's metadata endpoint probed over TLS): ${[...run.reported].map(([name, count]) => `${name} ${count}`).join(', ')} links`);
    say.line('the hub\'s link matrix from those reports:');
    const cells = run.view.groups.flatMap((group) => group.cells);
    const healthy = cells.filter((cell) => cell.state === LinkState.Healthy).length;
    const stale = cells.filter((cell) => cell.state === LinkState.Stale).length;
    if (healthy === 0 || stale === 0) throw new DemoError(`expected healthy and stale links, the matrix has ${healthy} healthy and ${stale} stale`);
    say.block(formatLinks(run.view, 'grid'));
    for (const finding of run.changes.raised) say.line(`hub link alert raised: ${finding.message}`);
  } finally {
    await run.stop();
  }
}
