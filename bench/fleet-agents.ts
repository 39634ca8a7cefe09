/**
 * The fleet load's simulated agents, in their own process so that the bench measures the
 * hub's CPU alone and its API latency from a process not busy sending:
 * `fleet-agents.ts HUB_URL CREDENTIALS_FILE SECONDS STOP_COUNT STOP_AT_SECONDS RESULT_FILE`.
 *
 * Every cluster reports every 30 s at its own phase (cluster i at i/N of the interval), one
 * report per request as an agent in steady state sends it, over LANES bounded request loops
 * (kept-alive connections on loopback): a loop takes the next report when it is due, so
 * when the hub answers slowly the loops fall behind schedule (printed as lag) instead of
 * opening more requests. The reports are the real mix (of every 20: 15 heartbeats, 3 syncs
 * with changes, 1 drift report, 1 link report of the federation links to the 4 other
 * clusters of its mesh group (fleet-topology.ts), one cluster in ten with a failing link). A request the hub does not take (429, 5xx, no answer) is sent again with
 * the same seqs after Retry-After, as an agent's spool does, so the hub must drop what it
 * already queued. The first STOP_COUNT clusters stop reporting at STOP_AT_SECONDS. The run
 * ends after SECONDS even when the loops are behind schedule; what they did not send is
 * counted as unsent.
 *
 * Prints `ready`, `stopped <ms since start> <names...>`, every 5 s `tick <json>`, and at the
 * end writes the reports each cluster had accepted (2xx) and its last seq to RESULT_FILE and
 * prints `done <json>` with the totals and this process's CPU.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Pool } from 'undici';
import { REPORTS_PATH, signReport, type Credentials, type UnsignedReport } from '../shared/src/index.js';
import { sendOutcome, type SendOutcome } from '../agent/src/report/report-sender.js';
import { peersOf } from './fleet-topology.js';
import { linkReport, realisticReport } from './report-mix.js';

const [hubUrl, credentialsFile, secondsArg, stopCountArg, stopAtArg, resultFile] = process.argv.slice(2);
if (!hubUrl || !credentialsFile || !secondsArg || !stopCountArg || !stopAtArg || !resultFile) {
  throw new Error('usage: fleet-agents.ts HUB_URL CREDENTIALS_FILE SECONDS STOP_COUNT STOP_AT_SECONDS RESULT_FILE');
}
const LANES = Number(process.env.BENCH_HUB_LANES ?? 64);
const INTERVAL_MS = 30_000;
const fleet = JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials[];
const durationMs = Number(secondsArg) * 1000;
const stopped = new Set(fleet.slice(0, Number(stopCountArg)).map((credentials) => credentials.cluster));
const stopAtMs = Number(stopAtArg) * 1000;

const accepted = new Map<string, number>();
const lastSeq = new Map<string, number>();
const seqs = new Map<string, number>();
const totals = { sent: 0, accepted: 0, resent: 0, refused: 0, skipped: 0 };
const latencies: number[] = [];
let lagMs = 0;
let maxLagMs = 0;

/** Cluster `index`'s next report, signed: kinds cycle per cluster and seq through the mix. */
function nextReport(index: number): { seq: number; body: string } {
  const { cluster, reportKey } = fleet[index]!;
  const seq = (seqs.get(cluster) ?? 0) + 1;
  seqs.set(cluster, seq);
  const turn = index + seq;
  let unsigned: UnsignedReport;
  if (turn % 20 === 15) {
    const peers = peersOf(index, fleet.length).map((peer) => fleet[peer]!.cluster);
    unsigned = linkReport(cluster, seq, peers, new Set(index % 10 === 0 && peers.length > 0 ? [peers.at(-1)!] : []));
  } else {
    unsigned = realisticReport(cluster, seq, turn);
  }
  return { seq, body: `{"reports":[${JSON.stringify(signReport(unsigned, reportKey))}]}` };
}

const started = performance.now();
const cpuStart = process.cpuUsage();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The n-th report of the whole fleet is cluster n mod N's, due at n × interval / N. */
const dueAt = (n: number) => (n * INTERVAL_MS) / fleet.length;
let next = 0;
let stopAnnounced = false;

/**
 * The loops' HTTP client: undici's pool of kept-alive connections, one a loop. It puts on
 * the wire what the agent's `ReportSender` (node:http) does, and the hub's answer means the
 * same (`sendOutcome`), for less of the CPU the hub shares with this process (docs/scale.md).
 */
const pool = new Pool(new URL(hubUrl).origin, { connections: LANES, headersTimeout: 30_000, bodyTimeout: 30_000 });

async function send(body: string, token: string): Promise<SendOutcome> {
  try {
    const response = await pool.request({
      path: REPORTS_PATH, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    return sendOutcome({ status: response.statusCode, headers: response.headers, text: await response.body.text() });
  } catch (error) {
    return { kind: 'retry', status: undefined, message: `cannot reach the hub: ${(error as Error).message}` };
  }
}

async function lane(): Promise<void> {
  for (;;) {
    const n = next;
    // The run ends on time: what a slow hub left unsent is counted, not sent late.
    if (dueAt(n) >= durationMs || performance.now() - started >= durationMs) return;
    next += 1;
    const wait = started + dueAt(n) - performance.now();
    if (wait > 0) await sleep(wait);
    const elapsed = performance.now() - started;
    lagMs = Math.max(0, elapsed - dueAt(n));
    maxLagMs = Math.max(maxLagMs, lagMs);
    const index = n % fleet.length;
    const { cluster, apiToken } = fleet[index]!;
    if (elapsed >= stopAtMs && stopped.has(cluster)) {
      if (!stopAnnounced) {
        stopAnnounced = true;
        console.log(`stopped ${Math.round(elapsed)} ${[...stopped].join(' ')}`);
      }
      totals.skipped += 1;
      continue;
    }
    const { seq, body } = nextReport(index);
    totals.sent += 1;
    for (;;) {
      const sentAt = performance.now();
      const outcome = await send(body, apiToken);
      latencies.push(performance.now() - sentAt);
      if (outcome.kind === 'accepted') {
        if (outcome.queued === 1) {
          totals.accepted += 1;
          accepted.set(cluster, (accepted.get(cluster) ?? 0) + 1);
          lastSeq.set(cluster, seq);
        } else {
          totals.refused += 1;
        }
        break;
      }
      if (outcome.kind === 'refused') {
        totals.refused += 1;
        break;
      }
      // Kept in the spool and sent again, as the agent does.
      totals.resent += 1;
      await sleep(outcome.afterMs ?? 1000);
    }
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const ticker = setInterval(() => {
  const window = latencies.splice(0);
  console.log(`tick ${JSON.stringify({
    ms: Math.round(performance.now() - started), ...totals, lagMs: Math.round(lagMs), maxLagMs: Math.round(maxLagMs),
    postP50: Math.round(percentile(window, 50)), postP99: Math.round(percentile(window, 99)),
  })}`);
}, 5000);

console.log('ready');
await Promise.all(Array.from({ length: LANES }, () => lane()));
clearInterval(ticker);
await pool.close();
await writeFile(resultFile, JSON.stringify({
  accepted: Object.fromEntries(accepted), lastSeq: Object.fromEntries(lastSeq),
}));
const cpu = process.cpuUsage(cpuStart);
// Reports due within the run that no loop got to (each cluster's due reports less those sent or skipped).
const due = Math.ceil((durationMs * fleet.length) / INTERVAL_MS);
console.log(`done ${JSON.stringify({ ...totals, unsent: due - totals.sent - totals.skipped, maxLagMs: Math.round(maxLagMs), cpuSeconds: (cpu.user + cpu.system) / 1e6, seconds: (performance.now() - started) / 1000 })}`);
