import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import { Action, type ClusterList, type DriftItem, type KubeObject, type RolloutDetail } from '@netfleet/shared';
import { LinkState, type LinkMatrixResponse } from '@netfleet/shared/protocol/links';
import { KubeClient } from '../../../agent/src/kube/client.js';
import { AlertRule } from '../../../hub/src/index.js';
import { clustersCommand } from '../../../cli/src/commands/clusters.js';
import { formatLinks } from '../../../cli/src/commands/links.js';
import { formatRolloutStatus } from '../../../cli/src/commands/rollout.js';
import { DemoError, Narrator, seconds, waitFor } from './narrator.js';
import { EXAMPLE_FLEET, hubGet, startSimulatedFleet, type ReceivedAlert, type SimulatedCluster, type SimulatedFleet } from './simulated-fleet.js';
import { DkpLinkRefresher, STALE_MS, writeLinkStatuses } from './link-health.js';

/**
 * The demo fleet: netfleet at work on a simulated fleet of the example repository's
 * clusters, narrated step by step. Every part is real (Redis, git over smart HTTP, the
 * Kubernetes API test servers, the agent daemons and the hub); nothing but this repository,
 * redis-server, git and the DKP reference files beside the checkout is needed.
 */

export interface DemoOptions {
  /** Where the narration goes. @defaultValue process.stdout */
  output?: NodeJS.WritableStream;
  /** Where the parts' own warnings go (JSON logs). @defaultValue process.stderr */
  logDestination?: NodeJS.WritableStream;
  /** Clusters of the example fleet to simulate (a smaller fleet runs faster). @defaultValue every cluster */
  clusters?: readonly string[];
  /** Longest wait for any one thing the demo expects to happen. @defaultValue 180000 */
  waitTimeoutMs?: number;
  /** Stops the demo early (Ctrl-C); everything started is still stopped. */
  signal?: AbortSignal;
  /** Print the dashboard's URL and a reader token, and keep the fleet running after the last scene until `signal` aborts. */
  ui?: boolean;
}

/** A bounded wait for something the demo expects (see `waitFor`). */
type Wait = <T>(what: string | (() => string), check: () => Promise<T | undefined | false> | T | undefined | false) => Promise<T>;

const STEPS = 6;
/** The object another field manager edits in step 3, and the field it changes. */
const DRIFT_TARGET = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' } as const;
const DRIFT_ID = `deckhouse.io_IngressNginxController__${DRIFT_TARGET.name}`;
/** Bake time of every wave in the demo: seconds instead of the example's hours. */
const DEMO_BAKE_TIME = '1s';

/** Runs the demo; resolves to the exit code: 0 when every step did what it shows, 1 otherwise. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const say = new Narrator(options.output ?? process.stdout);
  // Generous: each step's wait ends as soon as it holds, and a small or busy machine needs the margin.
  const timeoutMs = options.waitTimeoutMs ?? 180_000;
  const wait: Wait = (what, check) => {
    if (options.signal?.aborted) throw new DemoError('interrupted');
    return waitFor(what, timeoutMs, () => {
      if (options.signal?.aborted) throw new DemoError('interrupted');
      return check();
    });
  };
  say.raw('netfleet demo fleet: the example fleet on simulated clusters, with a real hub, agents, Redis and git\n');

  let sim: SimulatedFleet | undefined;
  let refresher: DkpLinkRefresher | undefined;
  let failure: unknown;
  try {
    say.step(1, STEPS, 'Starting the fleet: Redis, the git server, one Kubernetes API server and agent per cluster, the hub');
    sim = await startSimulatedFleet({
      rolloutPolicy: await demoRolloutPolicy(),
      ...(options.clusters ? { clusters: options.clusters } : {}),
      ...(options.logDestination ? { logDestination: options.logDestination } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const fleet = sim;
    const head = await fleet.tree.resolve('HEAD');
    say.line(`fleet repository ${fleet.repo.url} at ${head.slice(0, 12)}; hub API at ${fleet.hubUrl}`);
    say.line(`rollout policy: the example's waves, with ${DEMO_BAKE_TIME} bake times and no blackout windows so they fit in the demo`);
    say.line(`${fleet.clusters.size} clusters registered with bootstrap tokens, agents started (${say.elapsed()})`);
    if (options.ui) say.line(`dashboard: ${fleet.hubUrl}/ui/ — sign in with the reader token ${fleet.readToken}`);
    await firstSync(fleet, say, wait);
    refresher = new DkpLinkRefresher([...fleet.clusters.values()]);
    const written = await refresher.refresh();
    say.line(`playing DKP: Istio metadata exchanged on the ${written} federation and multicluster links the agents applied`);

    say.step(2, STEPS, 'The fleet as the hub sees it (netfleet clusters)');
    await fleetView(fleet, say, wait, head);

    say.step(3, STEPS, 'Drift: another field manager changes a field netfleet manages');
    await drift(fleet, say, wait);

    say.step(4, STEPS, 'Link health: Istio federation and multicluster links (netfleet links)');
    await linkHealth(fleet, refresher, say, wait);

    say.step(5, STEPS, 'Rollout of a new commit, wave by wave (netfleet rollout status)');
    await rollout(fleet, say, wait);
    if (options.ui) await keepRunning(fleet, say, options.signal);
  } catch (error) {
    failure = error;
  }

  say.step(6, STEPS, 'Shutting down');
  const stopping = Date.now();
  try {
    await refresher?.stop();
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

/** With `--ui`: the fleet stays up for the dashboard until Ctrl-C (an abort of `signal`). */
async function keepRunning(fleet: SimulatedFleet, say: Narrator, signal: AbortSignal | undefined): Promise<void> {
  say.line(`the fleet keeps running for the dashboard at ${fleet.hubUrl}/ui/ (reader token ${fleet.readToken}); Ctrl-C stops it`);
  if (!signal) throw new DemoError('--ui needs a way to stop: run it as pnpm demo:fleet --ui');
  if (signal.aborted) return;
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
}

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

/** Step 2: the hub's fleet list once every cluster reported its sync and the first rollout is done, printed by the CLI's formatter. */
async function fleetView(fleet: SimulatedFleet, say: Narrator, wait: Wait, head: string): Promise<void> {
  await wait('every cluster online and in sync at the hub', async () => {
    const list = await hubGet<ClusterList>(fleet, '/api/v1/clusters?limit=500');
    return list.items.length === fleet.clusters.size && list.items.every((item) => item.state === 'online' && item.syncStatus === 'succeeded' && item.revision === head);
  });
  // The hub rolls the first commit out too; drift and link failures while it runs would hold it.
  await wait(`the hub's rollout of the first commit (${head.slice(0, 12)}) to finish`,
    async () => (await hubGet<RolloutDetail>(fleet, `/api/v1/rollouts/${head.slice(0, 12)}`)).phase === 'done');
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
  say.line(`the hub rolled the first commit out through the policy's waves: every cluster is assigned ${head.slice(0, 12)}`);
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

function alertLine(received: ReceivedAlert, since?: number): string {
  const { alert } = received;
  const when = since === undefined ? '' : ` · webhook received ${seconds(received.receivedAt - since)} after the edit`;
  return `hub alert ${alert.status.toUpperCase().padEnd(8)} ${alert.rule} (${alert.severity}) ${alert.summary}${when}`;
}

/** Step 4: one peer's metadata goes stale; the hub's matrix and partition alert show it, and clear when DKP catches up. */
async function linkHealth(fleet: SimulatedFleet, refresher: DkpLinkRefresher, say: Narrator, wait: Wait): Promise<void> {
  const members = [...new Set(fleet.fleet.meshGroups.flatMap((group) => group.members))].filter((name) => fleet.clusters.has(name)).sort();
  if (members.length < 2) {
    say.line('skipped: fewer than two mesh-group members are running in this fleet');
    return;
  }
  const stalePeer = members.includes('ap-sin-1') ? 'ap-sin-1' : members.at(-1)!;
  const alertsBefore = fleet.alerts.length;
  const linkAlerts = () => fleet.alerts.slice(alertsBefore)
    .filter((received) => received.alert.rule === AlertRule.LinkPartition || received.alert.rule === AlertRule.LinkProblem);
  const cells = (matrix: LinkMatrixResponse) => matrix.groups.flatMap((group) => group.cells);
  await wait('every link healthy in the hub\'s matrix', async () => {
    const matrix = await hubGet<LinkMatrixResponse>(fleet, '/api/v1/links');
    return cells(matrix).length > 0 && cells(matrix).every((cell) => cell.state === LinkState.Healthy || !fleet.clusters.has(cell.from));
  });
  say.line(`every link healthy; now DKP stops refreshing ${stalePeer}'s metadata (last fetched 12 minutes ago on its peers)`);
  await refresher.hold(stalePeer);
  for (const name of members.filter((member) => member !== stalePeer)) {
    await writeLinkStatuses(fleet.clusters.get(name)!, (peer) => (peer === stalePeer ? STALE_MS : undefined));
  }
  const firing = await wait(`a link alert about ${stalePeer} to fire`, () => linkAlerts().find((received) => received.alert.status === 'firing'));
  const matrix = await hubGet<LinkMatrixResponse>(fleet, '/api/v1/links');
  if (!cells(matrix).some((cell) => cell.state === LinkState.Stale)) throw new DemoError('the hub\'s matrix shows no stale link');
  say.block(formatLinks(matrix, 'grid'));
  say.line(alertLine(firing));

  refresher.release(stalePeer);
  await refresher.refresh();
  const resolved = await wait(`the link alert about ${stalePeer} to resolve`,
    () => linkAlerts().find((received) => received.alert.status === 'resolved' && received.alert.fingerprint === firing.alert.fingerprint));
  say.line(`DKP refreshes ${stalePeer}'s metadata again:`);
  say.line(alertLine(resolved));
}

/** Step 5: a new commit moves through the policy's waves. */
async function rollout(fleet: SimulatedFleet, say: Narrator, wait: Wait): Promise<void> {
  const rolloutOf = (revision: string) => hubGet<RolloutDetail>(fleet, `/api/v1/rollouts/${revision.slice(0, 12)}`);
  const ingress = await readFile(join(EXAMPLE_FLEET, 'network', 'ingress.yaml'), 'utf8');
  await fleet.tree.write({ 'network/ingress.yaml': ingress.replace('proxy-body-size: 16m', 'proxy-body-size: 32m') });
  const pushedAt = Date.now();
  const revision = await fleet.publish('ingress: allow request bodies up to 32m');
  say.line(`pushed ${revision.slice(0, 12)} (ingress: proxy-body-size 16m → 32m); the hub sees it and rolls it out:`);

  const seen = new Set<string>();
  const detail = await wait(`the rollout of ${revision.slice(0, 12)} to finish`, async () => {
    const found = await rolloutOf(revision).catch(() => undefined);
    if (!found) return undefined;
    for (const notice of [...found.notices].reverse()) {
      const key = `${notice.at} ${notice.kind} ${notice.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const wave = notice.kind === 'waveStarted' ? found.waves.find((candidate) => notice.message.includes(`wave ${candidate.name} `)) : undefined;
      const clusters = wave ? `: ${wave.clusters.map((cluster) => cluster.name).join(', ')} (${wave.maxParallel} at a time)` : '';
      say.line(`  +${seconds(Date.parse(notice.at) - pushedAt).padStart(7)}  ${notice.kind.padEnd(13)} ${notice.message}${clusters}`);
    }
    if (['paused', 'failed', 'rolledBack', 'aborted'].includes(found.phase)) {
      throw new DemoError(`the rollout of ${revision.slice(0, 12)} ended ${found.phase}: ${found.reason ?? 'no reason given'}`);
    }
    return found.phase === 'done' ? found : undefined;
  });
  const behind = [...fleet.clusters.values()].filter((cluster) => cluster.daemon.lastResult?.appliedRevision !== revision).map((cluster) => cluster.info.name);
  if (behind.length > 0) throw new DemoError(`the rollout is done but ${behind.join(', ')} did not apply ${revision.slice(0, 12)}`);
  say.line(`every cluster applied ${revision.slice(0, 12)}, ${seconds(Date.now() - pushedAt)} after the push; netfleet rollout status ${detail.id}:`);
  say.block(formatRolloutStatus(detail));
}

/** The example's rollout policy with bake times of seconds and no blackout windows. */
async function demoRolloutPolicy(): Promise<string> {
  const policy = parse(await readFile(join(EXAMPLE_FLEET, 'rollout', 'default.yaml'), 'utf8')) as { spec: { waves: { bakeTime?: string }[]; blackouts?: unknown } };
  for (const wave of policy.spec.waves) wave.bakeTime = DEMO_BAKE_TIME;
  delete policy.spec.blackouts;
  return stringify(policy);
}
