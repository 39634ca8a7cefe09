import type { Logger } from '@netfleet/shared';
import type { AgentEvents } from '../events.js';
import { reportAgentEvents } from './agent-events.js';
import { loadCredentials } from './registration.js';
import { Reporter, type ReporterOptions } from './reporter.js';

export interface HubConnectionOptions extends Omit<ReporterOptions, 'credentials' | 'logger' | 'reloadCredentials'> {
  /** Credentials file written by registration (mode 0600). */
  credentialsFile: string;
  logger: Logger;
}

/**
 * What the agent daemon needs to report to a hub: loads the saved credentials (and loads
 * them again when the hub refuses the token, so a rotation is picked up), opens the
 * reporter (spool, sequence file), sends the daemon's events and starts it. `close()`
 * detaches and stops; unsent reports stay in the spool for the next start.
 */
export async function connectToHub(events: AgentEvents, options: HubConnectionOptions): Promise<{ reporter: Reporter; close(): Promise<void> }> {
  const { credentialsFile, ...reporterOptions } = options;
  const credentials = await loadCredentials(credentialsFile);
  const reporter = await Reporter.open({ ...reporterOptions, credentials, reloadCredentials: () => loadCredentials(credentialsFile) });
  const detach = reportAgentEvents(events, reporter);
  reporter.start();
  options.logger.info({ cluster: credentials.cluster, hub: new URL(options.hubUrl).origin }, 'reporting to the hub');
  return {
    reporter,
    async close() {
      detach();
      await reporter.close();
    },
  };
}
