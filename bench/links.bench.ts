/**
 * Fleet link matrix benchmark: a 200-cluster full-mesh federation (39,800 directed links).
 * Measures, in the same run:
 * - recomputing after one cluster's report: the incremental update against the baseline of
 *   rebuilding the matrix from every cluster's latest report, plus the partition analysis
 *   that follows each update;
 * - serving the matrix API: building the response and serializing it.
 * Figures are medians; targets are from the link health issue (< 50 ms, < 100 ms).
 */
import {
  LinkKind, LinkReason, LinkState, ProbeOutcome,
  type LinkObservation, type LinkReportBody,
} from '../shared/src/protocol/links.js';
import { linkTopology, type InventoryClusterInput } from '../hub/src/links/expected-links.js';
import { LinkMatrix } from '../hub/src/links/matrix.js';
import { analysePartitions } from '../hub/src/links/partitions.js';

const CLUSTERS = Number(process.env.LINKS_BENCH_CLUSTERS ?? 200);
const REGIONS = ['eu', 'us', 'ap', 'sa', 'af'];
const RUNS = 40;
const now = new Date('2026-11-26T12:00:00Z');

const inventory: InventoryClusterInput[] = Array.from({ length: CLUSTERS }, (_, index) => {
  const region = REGIONS[index % REGIONS.length]!;
  const name = `${region}-${Math.floor(index / REGIONS.length) + 1}`;
  return { name, region, publicDomain: `${name}.example.com` };
});
const names = inventory.map((cluster) => cluster.name);
const topology = linkTopology([{ name: 'global', type: 'federation', members: names }], inventory);

function report(from: string, stateOf: (to: string) => LinkState): LinkReportBody {
  return {
    links: names.filter((to) => to !== from).map((to): LinkObservation => {
      const state = stateOf(to);
      return {
        kind: LinkKind.Federation, name: to, managed: true,
        metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
        state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.PublicMetadataStale,
        message: `${state} link to ${to}`, lastExchangeAt: now.toISOString(), cachedClusterUUID: `uuid-${to}`,
        probe: {
          url: `https://istio.${to}.example.com/metadata/public/public.json`, outcome: ProbeOutcome.Ok, probedAt: now.toISOString(),
          httpStatus: 200, latencyMs: 12.3, certificateDaysLeft: 80, clusterUUID: `uuid-${to}`,
        },
      };
    }),
  };
}

const healthy = new Map(names.map((name) => [name, report(name, () => LinkState.Healthy)]));
/** Each cluster's report with its links into region eu gone stale. */
const cutIntoEu = new Map(names.map((name) => [name, report(name, (to) => (to.startsWith('eu-') && !name.startsWith('eu-') ? LinkState.Stale : LinkState.Healthy))]));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function buildFromScratch(reports: ReadonlyMap<string, LinkReportBody>): LinkMatrix {
  const matrix = new LinkMatrix(topology, { now: () => now });
  for (const [name, body] of reports) matrix.applyReport(name, body, now);
  return matrix;
}

// Baseline: rebuild the matrix from all latest reports after each report.
buildFromScratch(healthy);
const baselineMs = median(Array.from({ length: 5 }, () => time(() => buildFromScratch(healthy))));

// Incremental: one cluster's report flips between healthy and cut, on a full matrix.
const matrix = buildFromScratch(healthy);
const updateMs: number[] = [];
const updateAndPartitionsMs: number[] = [];
let partitionFindings = 0;
for (let run = 0; run < RUNS; run += 1) {
  const name = names[(run * 7) % names.length]!;
  const body = (run % 2 === 0 ? cutIntoEu : healthy).get(name)!;
  updateMs.push(time(() => matrix.applyReport(name, body, now)));
  const next = names[(run * 7 + 1) % names.length]!;
  updateAndPartitionsMs.push(time(() => {
    matrix.applyReport(next, cutIntoEu.get(next)!, now);
    partitionFindings = analysePartitions(matrix.linkHealth(), topology.regionOf).findings.length;
  }));
}

// A fleet-wide partition: every cluster outside eu reports its eu links stale.
const partitioned = buildFromScratch(cutIntoEu);
const partitionAnalysis = analysePartitions(partitioned.linkHealth(), topology.regionOf);
const partitionMs = median(Array.from({ length: 10 }, () => time(() => analysePartitions(partitioned.linkHealth(), topology.regionOf))));

// The matrix API: build the view and serialize it, unfiltered and for one region.
let bytes = 0;
const viewMs = median(Array.from({ length: 10 }, () => time(() => {
  bytes = JSON.stringify(partitioned.view({}, partitionAnalysis)).length;
})));
const regionViewMs = median(Array.from({ length: 10 }, () => time(() => JSON.stringify(partitioned.view({ region: 'eu' }, partitionAnalysis)))));

const links = CLUSTERS * (CLUSTERS - 1);
const incrementalMs = median(updateMs);
const rows: [string, number, number | undefined][] = [
  ['rebuild from all reports (baseline)', baselineMs, undefined],
  ['incremental update after one report', incrementalMs, 50],
  ['incremental update + partition analysis', median(updateAndPartitionsMs), 50],
  ['partition analysis, eu cut off', partitionMs, 50],
  ['matrix API response (view + JSON)', viewMs, 100],
  ['matrix API response, region eu', regionViewMs, 100],
];
console.log(`link matrix: ${CLUSTERS} clusters, ${links.toLocaleString('en')} directed links, median of ${RUNS} updates`);
for (const [label, ms, target] of rows) {
  const verdict = target === undefined ? '' : ms < target ? `  ok (< ${target} ms)` : `  OVER TARGET (${target} ms)`;
  console.log(`  ${label.padEnd(42)} ${ms.toFixed(2).padStart(9)} ms${verdict}`);
}
console.log(`  incremental vs baseline: ${(baselineMs / incrementalMs).toFixed(0)}x faster`);
console.log(`  response size ${(bytes / 1_048_576).toFixed(1)} MiB; partition findings during updates ${partitionFindings}, with eu cut off: ${partitionAnalysis.findings.map((finding) => finding.message).join('; ')}`);
if (rows.some(([, ms, target]) => target !== undefined && ms >= target)) process.exitCode = 1;
