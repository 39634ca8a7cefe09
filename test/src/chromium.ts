import { existsSync } from 'node:fs';

/**
 * Debian's Chromium, which the dashboard's browser test and benchmark drive through
 * playwright-core (it downloads no browser); `.ci/run` installs it.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, without a sandbox (CI runs as root), and nothing that reaches the internet. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Why what needs Chromium cannot run here; undefined when it is installed. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing; install Debian's chromium (apt-get install chromium, as .ci/run does)`;
}
