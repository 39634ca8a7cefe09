import type { Command } from 'commander';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import {
  LinkMatrixResponseSchema, LinkState,
  type LinkCell, type LinkCellState, type LinkMatrixResponse, type MeshGroupMatrix,
} from '@netfleet/shared/protocol/links';
import { formatData, isDataFormat, outputOption } from '../output.js';
import { ExitCode, type CliCommand } from '../command.js';
import { HubClient } from '../hub-client.js';
import { printableLines } from '../terminal.js';

/**
 * `netfleet links`: the fleet link matrix from the hub, as a grid per mesh group (rows link
 * from, columns link to), followed by the findings and partitions the hub names. During a
 * rollout a row expects only the links its cluster's revision declares; the hub sends no
 * cell for the others, and the grid leaves them blank.
 */

/** One character per cell state, so a 200-cluster group still fits a wide terminal. */
export const CELL_SYMBOLS: Record<LinkCellState, string> = {
  [LinkState.Healthy]: '✓',
  [LinkState.Pending]: 'P',
  [LinkState.Degraded]: 'D',
  [LinkState.Stale]: 'S',
  [LinkState.OneSided]: '1',
  [LinkState.Unreachable]: 'X',
  [LinkState.Incomplete]: 'I',
  [LinkState.Misconfigured]: 'M',
  [LinkState.ModuleNotEnabled]: 'N',
  [LinkState.Missing]: '-',
  unknown: '?',
};
const SELF = '·';
/** What a blank cell stands for. */
const BLANK = 'no link expected at the source cluster\'s revision, or filtered out';

export type LinksOutput = 'grid' | 'wide' | 'json' | 'yaml';

/** Renders a matrix response for a person (`grid`, `wide`) or a program (`json`, `yaml`). */
export function formatLinks(response: LinkMatrixResponse, output: LinksOutput): string {
  if (isDataFormat(output)) return formatData(output, response);
  const blocks = response.groups.map((group) => formatGroup(group, output === 'wide'));
  if (response.groups.length === 0) blocks.push('no mesh group matches\n');
  const fleetLines = [
    ...response.partitions.map((finding) => `  ${finding.message}`),
    ...response.findings.map((finding) => `  ${finding.type.padEnd(22)} ${finding.message}`),
  ];
  if (response.partitions.length + response.findings.length > 0) {
    blocks.push(printableLines(['fleet:', ...fleetLines]));
  }
  const blanks = response.groups.some((group) => group.cells.length < group.clusters.length * (group.clusters.length - 1));
  blocks.push(`legend: ${Object.entries(CELL_SYMBOLS).map(([state, symbol]) => `${symbol} ${state}`).join('  ')}  ${SELF} self${blanks ? `  (blank) ${BLANK}` : ''}\n`);
  return blocks.join('\n');
}

function formatGroup(group: MeshGroupMatrix, wide: boolean): string {
  const names = group.clusters.map((cluster) => cluster.name);
  const position = new Map(names.map((name, index) => [name, index]));
  const grid: string[][] = names.map((_, row) => names.map((__, column) => (row === column ? SELF : ' ')));
  for (const cell of group.cells) {
    const row = position.get(cell.from);
    const column = position.get(cell.to);
    if (row !== undefined && column !== undefined) grid[row]![column] = CELL_SYMBOLS[cell.state];
  }
  const labels = group.clusters.map((cluster, index) => `${String(index + 1).padStart(String(names.length).length)} ${cluster.name}  ${cluster.region}`);
  const labelWidth = Math.max('FROM \\ TO'.length, ...labels.map((label) => label.length));
  // Column numbers are written downwards, one digit per line, so every column is 2 wide.
  const digits = String(names.length).length;
  const header = Array.from({ length: digits }, (_, line) => {
    const numbers = names.map((_name, index) => String(index + 1).padStart(digits)[line]!).join(' ');
    return `  ${(line === digits - 1 ? 'FROM \\ TO' : '').padEnd(labelWidth)}  ${numbers}`;
  });
  const rows = grid.map((cells, row) => `  ${labels[row]!.padEnd(labelWidth)}  ${cells.join(' ')}`);

  const lines = [`${group.group} (${group.kind}) · ${plural(names.length, 'cluster')} · ${summarizeCounts(group)}`, '', ...header, ...rows];
  if (group.findings.length > 0) {
    lines.push('', '  findings:', ...group.findings.map((finding) => `    ${finding.type.padEnd(22)} ${finding.message}`));
  }
  if (wide) lines.push('', ...formatCellTable(group.cells));
  return printableLines(lines);
}

function summarizeCounts(group: MeshGroupMatrix): string {
  const parts = Object.entries(group.counts).filter(([, count]) => count > 0).map(([state, count]) => `${count} ${state}`);
  const total = Object.values(group.counts).reduce((sum, count) => sum + count, 0);
  return `${plural(total, 'link')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** `-o wide`: every link as a row with its reason and probe figures. */
function formatCellTable(cells: readonly LinkCell[]): string[] {
  const header = ['FROM', 'TO', 'STATE', 'REASON', 'PROBE', 'LATENCY', 'CERT DAYS', 'MESSAGE'];
  const rows = cells.map((cell) => [
    cell.from, cell.to, cell.state, cell.reason ?? '', cell.probeOutcome ?? '',
    cell.latencyMs === undefined ? '' : `${cell.latencyMs}ms`,
    cell.certificateDaysLeft === undefined ? '' : String(cell.certificateDaysLeft),
    `${cell.managed === false ? '(unmanaged) ' : ''}${cell.message ?? ''}`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => `  ${row.map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column]!))).join('  ')}`.trimEnd());
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const responseValidator = compileValidator('link matrix', LinkMatrixResponseSchema);

export const linksCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .option('--group <name>', 'only this mesh group')
      .option('--region <name>', 'only links from or to clusters of this region')
      .option('--state <state>', 'only links in this state')
      .addOption(outputOption(['grid', 'wide'], 'grid, or wide (grid plus every link with its probe figures)'))
      .option('--hub-url <url>', 'hub API base URL (NETFLEET_HUB_URL)')
      .option('--token-file <file>', 'file with an API token (NETFLEET_HUB_TOKEN_FILE, or NETFLEET_HUB_TOKEN)')
      .addHelpText('after', '\nExamples:\n  netfleet links --group payments\n  netfleet links --region eu --state stale -o wide\n\nExit codes: 0 all links fine, 1 findings or partitions reported, 2 hub unreachable or refused.');
  },

  async run(options, _args, io) {
    const client = await HubClient.create(options);
    const matrix = responseValidator.assert(await client.get('/api/v1/links', {
      group: options.group as string | undefined,
      region: options.region as string | undefined,
      state: options.state as string | undefined,
    }));
    io.stdout.write(formatLinks(matrix, options.output as LinksOutput));
    const findings = matrix.partitions.length + matrix.findings.length + matrix.groups.reduce((sum, group) => sum + group.findings.length, 0);
    return findings > 0 ? ExitCode.Findings : ExitCode.Ok;
  },
};
