import { setTimeout as sleep } from 'node:timers/promises';
import { NetfleetError, type ClusterDetail } from '@netfleet/shared';
import type { CliIO } from '../command.js';
import type { HubClient } from '../hub-client.js';
import { printable } from '../terminal.js';

export interface FirstReportWait {
  cluster: string;
  timeoutMs: number;
  /** How often the hub is asked. @defaultValue 1000 */
  pollMs?: number;
  /** How often a still-waiting line is printed. @defaultValue 15000 */
  progressMs?: number;
  /** What to check when no report comes, for the timeout error. */
  hint: string;
}

/**
 * Waits until the hub has a report of the cluster (asked with the cluster's own token),
 * printing a line now and then; a hub that does not answer for a moment is asked again
 * until the deadline.
 */
export async function waitForFirstReport(hub: HubClient, wait: FirstReportWait, io: CliIO): Promise<ClusterDetail> {
  const started = Date.now();
  const path = `/api/v1/clusters/${encodeURIComponent(wait.cluster)}`;
  let lastProgress = started;
  let lastProblem = '';
  io.stdout.write(`waiting for the first report of ${wait.cluster} to reach the hub (up to ${Math.round(wait.timeoutMs / 1000)} s)\n`);
  for (;;) {
    try {
      const detail = await hub.get<ClusterDetail>(path);
      if (detail.reports > 0) return detail;
      lastProblem = `the hub has the cluster registered (${detail.state}) but no report yet`;
    } catch (error) {
      if (!(error instanceof NetfleetError) || error.code !== 'CLI_HUB_UNREACHABLE') throw error;
      lastProblem = error.message;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= wait.timeoutMs) {
      throw new NetfleetError('CLI_BOOTSTRAP_NO_REPORT', `${wait.cluster} has not reported to the hub within ${Math.round(wait.timeoutMs / 1000)} s: ${printable(lastProblem)}`, {
        hint: `the agent is installed; ${wait.hint}. Running bootstrap again changes nothing and waits again`,
      });
    }
    if (Date.now() - lastProgress >= (wait.progressMs ?? 15_000)) {
      lastProgress = Date.now();
      io.stdout.write(`  still waiting (${Math.round(elapsed / 1000)} s): ${printable(lastProblem)}\n`);
    }
    await sleep(Math.min(wait.pollMs ?? 1_000, wait.timeoutMs - elapsed));
  }
}
