/**
 * The demo fleet (`pnpm demo:fleet`) run in-process on the whole example fleet: every step
 * prints what it shows and the run ends with exit code 0, leaving no Redis behind.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/demo.js';

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
  it('syncs every cluster, shows the fleet, corrects drift with an alert, prints the link matrix, and exits 0', async () => {
    const output = capture();
    const logs = capture();
    const code = await runDemo({ output: output.stream, logDestination: logs.stream, waitTimeoutMs: 45_000 });
    const text = output.text();

    expect(text, text).not.toContain('demo failed');
    expect(code).toBe(0);
    for (const cluster of ['ap-bom-1', 'ap-sin-1', 'ap-sin-2', 'eu-ams-1', 'eu-fra-1', 'eu-fra-2', 'eu-fra-stg', 'us-iad-1', 'us-nyc-1', 'us-nyc-2']) {
      expect(text).toMatch(new RegExp(`${cluster} +\\S+ +synced [0-9a-f]{12}: +\\d+ objects applied`));
      expect(text).toMatch(new RegExp(`${cluster} +\\S+ +online +[0-9a-f]{12} +succeeded +0 `));
    }
    expect(text).toContain('every cluster in sync');
    expect(text).toContain('agent eu-fra-1: drift detected on IngressNginxController/public (/spec/hsts), policy correct');
    expect(text).toContain('agent eu-fra-1: corrected with a forced apply, spec.hsts is true again');
    expect(text).toMatch(/hub alert FIRING +NetfleetDriftDetected/);
    expect(text).toMatch(/hub alert RESOLVED +NetfleetDriftDetected/);
    expect(text).toContain('global-prod (federation) · 5 clusters · 20 links: 16 healthy, 4 stale');
    expect(text).toContain('nyc (multicluster) · 2 clusters · 2 links: 2 healthy');
    expect(text).toContain('hub link alert raised: cluster ap-sin-1 unreachable from 4 clusters');
    expect(text).toMatch(/\[5\/6\] Rollout/);
    expect(text).toContain('temp dirs removed');
    expect(text).toMatch(/demo finished in [\d.]+ s/);
  }, 90_000);
});
