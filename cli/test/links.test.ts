import { describe, expect, it } from 'vitest';
import {
  LinkKind, LinkReason, LinkState, ProbeOutcome,
  type LinkMatrixResponse, type LinkObservation,
} from '@netfleet/shared/protocol/links';
import { composeTopology, linkTopology } from '@netfleet/hub/links/expected-links';
import { LinkMatrix } from '@netfleet/hub/links/matrix';
import { analysePartitions } from '@netfleet/hub/links/partitions';
import { CELL_SYMBOLS, formatLinks } from '../src/commands/links.js';
import { runCli } from './io.js';

const now = new Date('2026-11-26T12:00:00Z');

function observation(to: string, state: LinkState, extra: Partial<LinkObservation> = {}): LinkObservation {
  return {
    kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`,
    peerDomain: `${to}.example.com`, state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched,
    message: `${state} link to ${to}`, ...extra,
  };
}

/** A matrix response built by the hub's own matrix from reports. */
function matrixOf(names: string[], regionOf: (name: string) => string, stateOf: (from: string, to: string) => LinkState | undefined, extra: (from: string, to: string) => Partial<LinkObservation> = () => ({})): LinkMatrixResponse {
  const inventory = names.map((name) => ({ name, region: regionOf(name), publicDomain: `${name}.example.com` }));
  const topology = linkTopology([{ name: 'payments', type: 'federation', members: names }], inventory);
  const matrix = new LinkMatrix(topology, { now: () => now });
  for (const [from, body] of reportsOf(names, stateOf, extra)) matrix.applyReport(from, body, now);
  return matrix.view({}, analysePartitions(matrix.linkHealth(), topology.regionOf));
}

function reportsOf(names: string[], stateOf: (from: string, to: string) => LinkState | undefined, extra: (from: string, to: string) => Partial<LinkObservation> = () => ({})) {
  return names.map((from) => [from, {
    links: names.filter((to) => to !== from).flatMap((to) => {
      const state = stateOf(from, to);
      return state ? [observation(to, state, extra(from, to))] : [];
    }),
  }] as const);
}

const region = (name: string) => name.slice(0, 2);

describe('when the matrix is printed as a grid', () => {
  it('draws one row per source cluster and one column per target, with counts and findings', () => {
    const response = matrixOf(['eu-1', 'us-1', 'us-2'], region, (from, to) => (from === 'us-1' && to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy));
    expect(formatLinks(response, 'grid')).toBe([
      'payments (federation) · 3 clusters · 6 links: 5 healthy, 1 unreachable',
      '',
      '  FROM \\ TO   1 2 3',
      '  1 eu-1  eu  · ✓ ✓',
      '  2 us-1  us  X · ✓',
      '  3 us-2  us  ✓ ✓ ·',
      '',
      '  findings:',
      '    asymmetric             eu-1→us-1 is healthy but us-1→eu-1 is unreachable: unreachable link to eu-1',
      '',
      'legend: ✓ healthy  P pending  D degraded  S stale  1 one-sided  X unreachable  I incomplete  M misconfigured  N module-not-enabled  - missing  ? unknown  · self',
      '',
    ].join('\n'));
  });

  it.each(Object.entries(CELL_SYMBOLS))('shows %s as %s', (state, symbol) => {
    const names = ['a-1', 'b-1'];
    const response = matrixOf(names, region, (from) => (state === 'unknown' || from !== 'a-1' ? LinkState.Healthy : state === LinkState.Missing ? undefined : state as LinkState));
    if (state === 'unknown') response.groups[0]!.cells[0]!.state = 'unknown';
    const row = formatLinks(response, 'grid').split('\n').find((line) => line.startsWith('  1 a-1'))!;
    expect(row.endsWith(`· ${symbol}`)).toBe(true);
  });

  it('writes column numbers downwards when there are ten clusters or more', () => {
    const names = Array.from({ length: 12 }, (_, index) => `c-${index + 1}`);
    const text = formatLinks(matrixOf(names, () => 'eu', () => LinkState.Healthy), 'grid');
    const lines = text.split('\n');
    expect(lines[2]).toBe(`${' '.repeat(15)}${'  '.repeat(9)}1 1 1`);
    expect(lines[3]).toBe(`  FROM \\ TO    1 2 3 4 5 6 7 8 9 0 1 2`);
    expect(lines[4]).toBe(`   1 c-1  eu   · ${'✓ '.repeat(10)}✓`);
  });

  it('leaves blank the links a cluster’s revision does not declare, and says so in the legend', () => {
    const names = ['eu-1', 'us-1', 'ap-1'];
    const clusters = new Map(names.map((name) => [name, { name, region: region(name), publicDomain: `${name}.example.com` }]));
    const fleet = (members: string[]) => ({ meshGroups: [{ name: 'payments', type: 'federation' as const, members }], clusters });
    // ap-1 joins at the head; us-1 still runs the revision before.
    const topology = composeTopology(fleet(names), new Map([['us-1', fleet(['eu-1', 'us-1'])]]));
    const matrix = new LinkMatrix(topology, { now: () => now });
    matrix.applyReport('eu-1', { links: [observation('us-1', LinkState.Healthy), observation('ap-1', LinkState.Healthy)] }, now);
    matrix.applyReport('us-1', { links: [observation('eu-1', LinkState.Healthy)] }, now);
    matrix.applyReport('ap-1', { links: [observation('eu-1', LinkState.Healthy), observation('us-1', LinkState.OneSided)] }, now);
    const lines = formatLinks(matrix.view(), 'grid').split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'payments (federation) · 3 clusters · 5 links: 4 healthy, 1 one-sided',
      '',
      '  FROM \\ TO   1 2 3',
      '  1 ap-1  ap  · ✓ 1',
      '  2 eu-1  eu  ✓ · ✓',
      '  3 us-1  us    ✓ ·',
    ]);
    expect(lines.find((line) => line.startsWith('legend:'))).toMatch(/· self {2}\(blank\) no link expected at the source cluster's revision, or filtered out$/);
  });

  it('prints partitions once, instead of a finding per link', () => {
    const names = ['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1'];
    const text = formatLinks(matrixOf(names, region, (from, to) => (region(to) === 'eu' && region(from) !== 'eu' ? LinkState.Stale : LinkState.Healthy)), 'grid');
    expect(text).toContain('fleet:\n  region eu unreachable from 3 clusters\n');
    expect(text).not.toContain('findings:');
  });
});

describe('when the matrix is printed wide', () => {
  it('adds every link with its reason and probe figures', () => {
    const response = matrixOf(['eu-1', 'us-1'], region, (from) => (from === 'eu-1' ? LinkState.Healthy : LinkState.Stale),
      (from) => ({ probe: { url: 'u', outcome: ProbeOutcome.Ok, probedAt: now.toISOString(), latencyMs: 12.5, certificateDaysLeft: from === 'eu-1' ? 3 : 90 } }));
    const lines = formatLinks(response, 'wide').split('\n');
    expect(lines).toContain('  FROM  TO    STATE    REASON        PROBE  LATENCY  CERT DAYS  MESSAGE');
    expect(lines).toContain('  eu-1  us-1  healthy                ok     12.5ms   3');
    expect(lines).toContain('  us-1  eu-1  stale    NeverFetched  ok     12.5ms   90         stale link to eu-1');
  });
});

describe('when the matrix is printed as JSON', () => {
  it('prints the API response unchanged', () => {
    const response = matrixOf(['eu-1', 'us-1'], region, () => LinkState.Healthy);
    expect(JSON.parse(formatLinks(response, 'json'))).toEqual(response);
  });
});

describe('netfleet links usage', () => {
  it('refuses an unknown output format with exit 2', async () => {
    const { code, err } = await runCli('links', '-o', 'xml', '--hub-url', 'http://127.0.0.1:9');
    expect(code).toBe(2);
    expect(err).toContain("argument 'xml' is invalid");
  });

  it('says the hub is unreachable with a hint', async () => {
    const saved = process.env.NETFLEET_HUB_TOKEN;
    process.env.NETFLEET_HUB_TOKEN = 'token-for-an-absent-hub';
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      result = await runCli('links', '--hub-url', 'http://127.0.0.1:9');
    } finally {
      if (saved === undefined) delete process.env.NETFLEET_HUB_TOKEN;
      else process.env.NETFLEET_HUB_TOKEN = saved;
    }
    expect(result.code).toBe(2);
    expect(result.err).toContain('ERR CLI_HUB_UNREACHABLE: cannot reach the hub at http://127.0.0.1:9');
  });
});
