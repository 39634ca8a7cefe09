import type { CliCommand } from '../command.js';

/**
 * One `netfleet` subcommand as `netfleet --help` lists it. Its module is imported only when
 * the command runs (or shows its own help), so a command loads nothing the others need:
 * `netfleet --help` and `validate` start without the agent's, the hub's or the Kubernetes
 * client's code.
 */
export interface CommandEntry {
  name: string;
  /** The one line `netfleet --help` shows, also the command's own description. */
  summary: string;
  load(): Promise<CliCommand>;
}

/** Every subcommand, in the order `netfleet --help` lists them. */
export const commands: CommandEntry[] = [
  { name: 'render', summary: 'Render the DKP objects of one cluster (or a summary of every cluster) from a fleet repository', load: async () => (await import('./render.js')).renderCommand },
  { name: 'validate', summary: 'Check a fleet repository: syntax, schemas, references, and a render of every cluster', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'preview', summary: 'Show what a change of the fleet repository does to every cluster: objects created, pruned and changed, rollout waves, mesh links', load: async () => (await import('./preview.js')).previewCommand },
  { name: 'diff', summary: 'Show, per object, how the cluster differs from the fleet repository (exit 0 none, 1 differences, 2 error)', load: async () => (await import('./diff.js')).diffCommand },
  { name: 'agent', summary: 'Pull the fleet repository, apply this cluster\'s objects, prune, and keep them from drifting', load: async () => (await import('./agent.js')).agentCommand },
  { name: 'hub', summary: 'Run the hub: report ingest, fleet state, alerts, HTTP API and /metrics', load: async () => (await import('./hub.js')).hubCommand },
  { name: 'register', summary: 'Register a cluster with the hub using a bootstrap token; saves its report key and API token (mode 0600)', load: async () => (await import('./register.js')).registerCommand },
  { name: 'install', summary: 'Print (--export) or apply a cluster\'s netfleet agent: namespace, least-privilege RBAC, Deployment; or print the hub\'s manifests', load: async () => (await import('./install.js')).installCommand },
  { name: 'bootstrap-token', summary: 'Create a bootstrap token at the hub (admin), written to a file for netfleet bootstrap', load: async () => (await import('./bootstrap-token.js')).bootstrapTokenCommand },
  { name: 'bootstrap', summary: 'Register a cluster with the hub, store its credentials as a Secret in it, install its agent and wait for its first report', load: async () => (await import('./bootstrap.js')).bootstrapCommand },
  { name: 'uninstall', summary: 'Remove a cluster\'s netfleet agent and, with --prune-managed, what it applied (a dry-run listing first)', load: async () => (await import('./uninstall.js')).uninstallCommand },
  { name: 'clusters', summary: 'List the fleet\'s clusters with their state, revision, sync status and drift', load: async () => (await import('./clusters.js')).clustersCommand },
  { name: 'cluster', summary: 'Show one cluster: registration, state, last sync, drift and recent events', load: async () => (await import('./clusters.js')).clusterCommand },
  { name: 'links', summary: 'Show the federation and multicluster link matrix of the fleet, per mesh group', load: async () => (await import('./links.js')).linksCommand },
  { name: 'rollout', summary: 'List rollouts, show one, or control it (pause, resume, abort, rollback, promote, retry a failed cluster)', load: async () => (await import('./rollout.js')).rolloutCommand },
];
