import type { Command } from 'commander';
import { SyncStatus, type ClusterDetail, type ClusterList, type DriftState, type EventList } from '@netfleet/shared';
import { formatData, isDataFormat, outputOption } from '../output.js';
import { ExitCode, type CliCommand } from '../command.js';
import { HubClient, age, table } from '../hub-client.js';
import { printableLines } from '../terminal.js';
import { collect } from '../labels.js';

function connectionOptions(command: Command): Command {
  return command
    .option('--hub-url <url>', 'hub API base URL (NETFLEET_HUB_URL)')
    .option('--token-file <file>', 'file with an API token (NETFLEET_HUB_TOKEN_FILE, or NETFLEET_HUB_TOKEN)')
    .addOption(outputOption(['table'], 'table'));
}

const short = (revision: string) => revision.slice(0, 12) || '-';

/** `netfleet clusters`: the fleet, filtered, as a table or JSON. */
export const clustersCommand: CliCommand = {
  define(command: Command): Command {
    return connectionOptions(command
      .option('--region <region>', 'only this region')
      .option('--label <key=value>', 'only clusters with this label (repeatable)', collect)
      .option('--status <state>', 'registered | online | offline | revoked')
      .option('--sync <status>', Object.values(SyncStatus).join(' | '))
      .option('--revision <sha>', 'only clusters at this applied revision'))
      .addHelpText('after', '\nExamples:\n  netfleet clusters --region eu --status offline\n  netfleet clusters --label tier=prod -o json\n\nExit codes: 0 listed, 2 hub unreachable or refused.');
  },

  async run(options, _args, io) {
    const client = await HubClient.create(options);
    const items: ClusterList['items'] = [];
    let cursor: string | undefined;
    do {
      const page: ClusterList = await client.get<ClusterList>('/api/v1/clusters', {
        region: options.region as string | undefined, label: options.label as string[] | undefined,
        status: options.status as string | undefined, sync: options.sync as string | undefined,
        revision: options.revision as string | undefined, limit: '500', cursor,
      });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (isDataFormat(options.output)) {
      io.stdout.write(formatData(options.output, items));
      return ExitCode.Ok;
    }
    io.stdout.write(table(
      ['NAME', 'REGION', 'STATE', 'REVISION', 'SYNC', 'DRIFT', 'LAST SEEN'],
      items.map((item) => [item.name, item.region, item.state, short(item.revision), item.syncStatus || '-', String(item.driftCount), age(item.lastSeen)]),
    ));
    return ExitCode.Ok;
  },
};

/** `netfleet cluster NAME`: one cluster's state, drift and recent events. */
export const clusterCommand: CliCommand = {
  define(command: Command): Command {
    return connectionOptions(command
      .argument('<name>', 'cluster name')
      .option('--events <n>', 'how many recent events to show', '10'))
      .addHelpText('after', '\nExit codes: 0 shown, 2 unknown cluster or hub unreachable.');
  },

  async run(options, args, io) {
    const name = encodeURIComponent(args[0]!);
    const client = await HubClient.create(options);
    const [detail, drift, events] = await Promise.all([
      client.get<ClusterDetail>(`/api/v1/clusters/${name}`),
      client.get<DriftState>(`/api/v1/clusters/${name}/drift`),
      client.get<EventList>(`/api/v1/clusters/${name}/events`, { limit: String(options.events) }),
    ]);
    if (isDataFormat(options.output)) {
      io.stdout.write(formatData(options.output, { ...detail, drift, events: events.items }));
      return ExitCode.Ok;
    }
    const labels = Object.entries(detail.labels).map(([key, value]) => `${key}=${value}`).join(', ') || '-';
    const lines = [
      `Name:         ${detail.name}`,
      `Region:       ${detail.region}`,
      `Labels:       ${labels}`,
      `State:        ${detail.state}${detail.offlineSince ? ` (since ${detail.offlineSince})` : ''}`,
      `Last seen:    ${age(detail.lastSeen)}`,
      `Revision:     ${detail.revision || '-'}`,
      `Agent:        ${detail.agentVersion || '-'} (${detail.objects} objects${detail.readiness ? `, ${detail.readiness.ready} ready, ${detail.readiness.notReady} not ready, ${detail.readiness.waiting} waiting` : ''})`,
      `Last sync:    ${detail.sync ? `${detail.sync.status} (${detail.sync.reason}) at ${short(detail.sync.revision)}, ${age(detail.sync.at)}` : '-'}`,
      ...(detail.sync?.error ? [`              ${detail.sync.error}`] : []),
      `Drift:        ${drift.items.length === 0 ? 'none' : `${drift.items.length} object(s)${drift.truncated ? ' (truncated)' : ''}`}`,
      ...drift.items.map((item) => `  ${item.type === 'deleted' ? 'deleted' : 'changed'} ${item.subject.kind}/${item.subject.namespace ? `${item.subject.namespace}/` : ''}${item.subject.name}: ${item.fields.map((field) => field.path).join(', ')}`),
      'Events:',
      ...events.items.map((event) => `  ${event.time}  ${event.type.padEnd(8)} ${event.message}`),
    ];
    io.stdout.write(printableLines(lines));
    return ExitCode.Ok;
  },
};
