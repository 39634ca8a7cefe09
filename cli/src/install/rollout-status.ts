import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@netfleet/agent';
import { NetfleetError } from '@netfleet/shared';
import type { CliIO } from '../command.js';

/** The fields of a Deployment its rollout status is read from. */
export interface DeploymentState {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number;
    conditions?: Array<{ type?: string; reason?: string }>;
  };
}

/** Where a Deployment's rollout stands: done, still going (with what it waits for), or failed. */
export type RolloutProgress = { state: 'done' } | { state: 'waiting'; waitingFor: string } | { state: 'failed'; reason: string };

/**
 * The rollout status of a Deployment, read as `kubectl rollout status` reads it
 * (kubectl's DeploymentStatusViewer): the controller has seen the current spec, every
 * replica is updated, no old one is left, and every updated one is available; a
 * ProgressDeadlineExceeded condition ends the wait.
 */
export function deploymentProgress(deployment: DeploymentState): RolloutProgress {
  const status = deployment.status ?? {};
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) return { state: 'waiting', waitingFor: 'the deployment controller to see the new spec' };
  if (status.conditions?.some((condition) => condition.type === 'Progressing' && condition.reason === 'ProgressDeadlineExceeded')) {
    return { state: 'failed', reason: 'the Deployment exceeded its progress deadline' };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < wanted) return { state: 'waiting', waitingFor: `${updated} of ${wanted} new replicas updated` };
  const total = status.replicas ?? 0;
  if (total > updated) return { state: 'waiting', waitingFor: `${total - updated} old replicas pending termination` };
  const available = status.availableReplicas ?? 0;
  if (available < updated) return { state: 'waiting', waitingFor: `${available} of ${updated} updated replicas available` };
  return { state: 'done' };
}

export interface DeploymentWait {
  namespace: string;
  name: string;
  timeoutMs: number;
  /** How often the Deployment is read. @defaultValue 1000 */
  pollMs?: number;
}

/**
 * Waits until the Deployment has rolled out, printing each change of what it waits for;
 * fails on the progress deadline or after `timeoutMs`, saying where to look.
 */
export async function waitForDeployment(kubeConfig: KubeConfig, wait: DeploymentWait, io: CliIO): Promise<void> {
  const kube = new KubeClient({ kubeConfig });
  const what = `deployment/${wait.name}`;
  const look = `kubectl -n ${wait.namespace} describe ${what}; kubectl -n ${wait.namespace} logs ${what}`;
  const started = Date.now();
  io.stdout.write(`waiting for ${what} to roll out (up to ${Math.round(wait.timeoutMs / 1000)} s)\n`);
  let said = '';
  for (;;) {
    const live = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: wait.namespace, name: wait.name });
    if (!live) throw new NetfleetError('CLI_INSTALL_NOT_READY', `${what} is gone from namespace ${wait.namespace}`, { hint: 'run the install again' });
    const progress = deploymentProgress(live as DeploymentState);
    if (progress.state === 'done') {
      io.stdout.write(`${what} rolled out: the agent is running\n`);
      return;
    }
    if (progress.state === 'failed') throw new NetfleetError('CLI_INSTALL_NOT_READY', `${what} did not roll out: ${progress.reason}`, { hint: `see why with ${look}` });
    if (progress.waitingFor !== said) {
      said = progress.waitingFor;
      io.stdout.write(`  ${said}\n`);
    }
    const elapsed = Date.now() - started;
    if (elapsed >= wait.timeoutMs) {
      throw new NetfleetError('CLI_INSTALL_NOT_READY', `${what} has not rolled out within ${Math.round(wait.timeoutMs / 1000)} s (${said})`, {
        hint: `the agent is installed; see why with ${look}, or run the install again (it changes nothing) to wait again`,
      });
    }
    await sleep(Math.min(wait.pollMs ?? 1_000, wait.timeoutMs - elapsed));
  }
}
