/**
 * The demo fleet (`pnpm demo:fleet`) run in-process on four clusters of the example fleet,
 * one per rollout wave: every step prints what it shows and the run ends with exit code 0.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/demo.js';
import { EVENTUALLY_TIMEOUT_MS } from '../src/eventually.js';

const CLUSTERS = ['eu-fra-stg', 'eu-fra-2', 'eu-fra-1', 'us-nyc-1'];

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('when the demo fleet runs', () => {
  it('syncs every cluster, shows the fleet, corrects drift, shows a stale link and its alert, rolls a commit out wave by wave, and exits 0', async () => {
    const output = capture();
    const code = await runDemo({ output: output.stream, logDestination: capture().stream, clusters: CLUSTERS, waitTimeoutMs: EVENTUALLY_TIMEOUT_MS });
    const text = output.text();

    expect(text, text).not.toContain('demo failed');
    expect(code).toBe(0);
    for (const cluster of CLUSTERS) {
      expect(text).toMatch(new RegExp(`${cluster} +\\S+ +synced [0-9a-f]{12}: +\\d+ objects applied`));
      expect(text).toMatch(new RegExp(`${cluster} +\\S+ +online +[0-9a-f]{12} +succeeded +0 `));
    }
    expect(text).toContain('every cluster in sync');
    expect(text).toContain('agent eu-fra-1: drift detected on IngressNginxController/public (/spec/hsts), policy correct');
    expect(text).toContain('agent eu-fra-1: corrected with a forced apply, spec.hsts is true again');
    expect(text).toMatch(/hub alert FIRING +NetfleetDriftDetected/);
    expect(text).toMatch(/hub alert RESOLVED +NetfleetDriftDetected/);
    expect(text).toContain('  3 eu-fra-1  eu-central  ✓ ✓ · ✓ S');
    expect(text).toMatch(/hub alert FIRING +NetfleetLinkProblem \(warning\) us-nyc-1→eu-fra-1 is healthy but eu-fra-1→us-nyc-1 is stale/);
    expect(text).toMatch(/hub alert RESOLVED +NetfleetLinkProblem/);
    // The waves in the policy's order, each with its cluster.
    const waves = [...text.matchAll(/waveStarted +wave (\w+) started: ([\w-]+)/g)].map((match) => [match[1], match[2]]);
    expect(waves).toEqual([['staging', 'eu-fra-stg'], ['canary', 'eu-fra-2'], ['europe', 'eu-fra-1'], ['rest', 'us-nyc-1']]);
    expect(text).toMatch(/every cluster applied [0-9a-f]{12}/);
    expect(text).toContain('Phase:       done');
    expect(text).toContain('temp dirs removed');
    expect(text).toMatch(/demo finished in [\d.]+ s/);
  });
});
