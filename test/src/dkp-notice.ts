/**
 * Vitest global setup: says once, at the start of a run, when the DKP reference files are
 * missing, which tests that costs and how to run them.
 */
import { dkpDir, dkpReferencePresent } from './dkp.js';

export default function setup(): void {
  if (dkpReferencePresent()) return;
  process.stderr.write(
    `\nnote: no DKP reference files at ${dkpDir()}. The Kubernetes API test server serves netfleet's own definitions\n`
    + `of the DKP kinds instead, and the tests that check rendered objects against the real DKP schemas are skipped\n`
    + `(their titles say so). Place the reference folder there, or set NETFLEET_DKP_DIR, to run them.\n\n`,
  );
}
