import { describe, expect, it } from 'vitest';
import { deploymentProgress, type DeploymentState } from './rollout-status.js';

const at = (generation: number, status: DeploymentState['status'], replicas = 2): DeploymentState => ({ metadata: { generation }, spec: { replicas }, status });

describe('deploymentProgress, read as kubectl rollout status reads a Deployment', () => {
  it.each([
    ['the controller has not seen the spec', at(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), { state: 'waiting', waitingFor: 'the deployment controller to see the new spec' }],
    ['no status yet', at(1, undefined), { state: 'waiting', waitingFor: 'the deployment controller to see the new spec' }],
    ['replicas still to update', at(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 1 }), { state: 'waiting', waitingFor: '1 of 2 new replicas updated' }],
    ['old replicas still running', at(1, { observedGeneration: 1, replicas: 3, updatedReplicas: 2 }), { state: 'waiting', waitingFor: '1 old replicas pending termination' }],
    ['updated replicas not yet available', at(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), { state: 'waiting', waitingFor: '1 of 2 updated replicas available' }],
    ['the progress deadline passed', at(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] }), { state: 'failed', reason: 'the Deployment exceeded its progress deadline' }],
    ['rolled out', at(1, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), { state: 'done' }],
    ['rolled out, replicas left to the default (1)', { metadata: { generation: 1 }, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }, { state: 'done' }],
  ] as const)('%s', (_name, deployment, expected) => {
    expect(deploymentProgress(deployment)).toEqual(expected);
  });
});
