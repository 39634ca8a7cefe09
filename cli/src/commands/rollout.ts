import { Argument, type Command } from 'commander';
import { NetfleetError, type RolloutDetail, type RolloutList, type RolloutSummary, type RolloutWaveView } from '@netfleet/shared';
import { formatData, isDataFormat, outputOption } from '../output.js';
import { ExitCode, type CliCommand } from '../command.js';
import { HubClient, age, table } from '../hub-client.js';
import { printableLines } from '../terminal.js';

const short = (revision: string | null) => (revision ? revision.slice(0, 12) : '-');

/** `5400` → `1h30m`; `0` → `0s`. */
export function formatSeconds(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = Math.round(seconds % 60);
  const text = `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${rest ? `${rest}s` : ''}`;
  return text || '0s';
}

/** `2/4`: the wave the rollout is on (all of them once done). */
function waveOf(rollout: Pick<RolloutSummary, 'wave' | 'waveCount'>): string {
  return rollout.waveCount === 0 ? '-' : `${Math.min(rollout.wave + 1, rollout.waveCount)}/${rollout.waveCount}`;
}

function holdOf(hold: RolloutSummary['hold']): string {
  if (!hold) return '-';
  return hold.clusters.length > 0 ? `${hold.reason}: ${hold.clusters.join(', ')}` : hold.reason;
}

/** The table of `netfleet rollout list`. */
export function formatRolloutList(items: RolloutSummary[], now = Date.now()): string {
  if (items.length === 0) return 'No rollouts yet.\n';
  return table(
    ['ID', 'REVISION', 'POLICY', 'PHASE', 'WAVE', 'HELD BY', 'UPDATED'],
    items.map((item) => [item.id, short(item.revision), item.policy, item.phase, waveOf(item), holdOf(item.hold), age(item.updatedAt, now)]),
  );
}

function waveLine(wave: RolloutWaveView, index: number): string {
  const limits = [`${wave.maxParallel} at a time`, `bake ${formatSeconds(wave.bakeTimeSeconds)}`, ...(wave.deadlineSeconds === null ? [] : [`deadline ${formatSeconds(wave.deadlineSeconds)}`])];
  return `  ${index + 1}. ${wave.name}  ${wave.state}  (${limits.join(', ')})`;
}

function clusterLine(cluster: RolloutWaveView['clusters'][number]): string {
  const facts = [
    cluster.attempt > 1 ? `attempt ${cluster.attempt}` : '',
    cluster.online ? '' : 'offline',
    cluster.failingGates.length > 0
      ? `failing ${cluster.failingGates.map((gate) => (cluster.gateDetails?.[gate] ? `${gate} (${cluster.gateDetails[gate]})` : gate)).join(', ')}`
      : '',
    cluster.reason ?? '',
  ].filter(Boolean);
  return `       ${cluster.name}  ${cluster.status}${facts.length > 0 ? `  ${facts.join('; ')}` : ''}`;
}

/** The text of `netfleet rollout status ID`: each wave, each cluster, the gate holding it, recent events. */
export function formatRolloutStatus(rollout: RolloutDetail, now = Date.now()): string {
  const hold = rollout.hold;
  const lines = [
    `Rollout:     ${rollout.id}`,
    `Revision:    ${rollout.revision} (rolls back to ${rollout.previousRevision ?? 'nothing: first rollout'})`,
    `Policy:      ${rollout.policy} (on failure: ${rollout.failurePolicy})`,
    `Phase:       ${rollout.phase}${rollout.reason ? ` — ${rollout.reason}` : ''}`,
    `Wave:        ${waveOf(rollout)}`,
    `Held by:     ${hold ? `${holdOf(hold)}${hold.until ? ` (until ${hold.until})` : ''}` : '-'}`,
    `Deadline:    ${rollout.deadlineAt ?? '-'}`,
    `Blackout:    ${rollout.blackout.active ? `yes, until ${rollout.blackout.endsAt ?? 'further notice'}` : 'no'}`,
    `Started:     ${age(rollout.createdAt, now)}, updated ${age(rollout.updatedAt, now)}`,
    'Waves:',
    ...rollout.waves.flatMap((wave, index) => [waveLine(wave, index), ...wave.clusters.map(clusterLine)]),
    ...(rollout.excluded.length > 0 ? [`Excluded:    ${rollout.excluded.join(', ')}`] : []),
    ...(rollout.carriedOver.length > 0 ? [`Carried over from a superseded rollout: ${rollout.carriedOver.join(', ')}`] : []),
    'Events:',
    ...(rollout.notices.length === 0 ? ['  -'] : rollout.notices.map((notice) => `  ${notice.at}  ${notice.kind}  ${notice.message}`)),
  ];
  return printableLines(lines);
}

const ACTIONS = ['list', 'status', 'pause', 'resume', 'abort', 'rollback', 'promote', 'retry'] as const;
type Action = (typeof ACTIONS)[number];

/** `netfleet rollout list | status ID | pause ID | resume ID | abort ID | rollback ID | promote ID | retry ID CLUSTER`. */
export const rolloutCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .addArgument(new Argument('<action>', 'what to do').choices(ACTIONS))
      .argument('[id]', 'rollout id (from `netfleet rollout list`)')
      .argument('[cluster]', 'cluster to retry (retry only)')
      .option('--reason <text>', 'why (recorded with pause, abort and rollback)')
      .option('--hub-url <url>', 'hub API base URL (NETFLEET_HUB_URL)')
      .option('--token-file <file>', 'file with an API token (NETFLEET_HUB_TOKEN_FILE, or NETFLEET_HUB_TOKEN)')
      .addOption(outputOption(['table'], 'table'))
      .addHelpText('after', [
        '', 'Examples:', '  netfleet rollout list', '  netfleet rollout status 3f2a9c1d0b7e',
        '  netfleet rollout pause 3f2a9c1d0b7e --reason "checking dashboards"', '  netfleet rollout retry 3f2a9c1d0b7e eu-fra-2',
        '', 'Controls need an admin token. Exit codes: 0 done, 2 refused, unknown rollout or hub unreachable.',
      ].join('\n'));
  },

  async run(options, args, io) {
    const [action, id, cluster] = args as [Action, string | undefined, string | undefined];
    const client = await HubClient.create(options);
    const write = (value: unknown, text: () => string) => io.stdout.write(isDataFormat(options.output) ? formatData(options.output, value) : text());
    if (action === 'list') {
      const list = await client.get<RolloutList>('/api/v1/rollouts');
      write(list.items, () => formatRolloutList(list.items));
      return ExitCode.Ok;
    }
    if (!id) throw new NetfleetError('CLI_USAGE', `rollout ${action} needs a rollout id`, { hint: 'find it with `netfleet rollout list`' });
    const path = `/api/v1/rollouts/${encodeURIComponent(id)}`;
    let detail: RolloutDetail;
    if (action === 'status') {
      detail = await client.get<RolloutDetail>(path);
    } else if (action === 'retry') {
      if (!cluster) throw new NetfleetError('CLI_USAGE', 'rollout retry needs a cluster name', { hint: 'netfleet rollout retry ID CLUSTER' });
      detail = await client.post<RolloutDetail>(`${path}/clusters/${encodeURIComponent(cluster)}/retry`);
    } else {
      detail = await client.post<RolloutDetail>(`${path}/${action}`, options.reason === undefined ? {} : { reason: options.reason });
    }
    write(detail, () => formatRolloutStatus(detail));
    return ExitCode.Ok;
  },
};
