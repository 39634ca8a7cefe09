import fp from 'fastify-plugin';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Registry } from '../../../registry/registry.js';
import type { FleetState } from '../../../state/fleet-state.js';
import type { AlertEngine } from '../../../alerts/alert-engine.js';
import type { HubMetrics } from '../../../metrics.js';
import type { HubKeys } from '../../../redis/keys.js';
import type { RolloutStore } from '../../../rollout/store.js';
import type { AssignmentWatch } from '../../../rollout/assignment-watch.js';
import type { FleetHeads } from '../../../rollout/heads.js';
import type { RepoFollower } from '../../../rollout/repo-follower.js';
import type { FleetLinks } from '../../../links/fleet-links.js';
import type { AuditLog } from '../../../audit/audit-log.js';
import type { ReportIntake } from '../../../ingest/report-intake.js';

/** The hub services routes use. */
export interface HubServices {
  redis: RedisClient;
  keys: HubKeys;
  registry: Registry;
  fleet: FleetState;
  alerts: AlertEngine;
  metrics: HubMetrics;
  /** Rollout state, the agents' assignment long-poll, and where new fleet heads are left. */
  rollouts: { store: RolloutStore; watch: AssignmentWatch; heads: FleetHeads; follower?: RepoFollower; webhookSecret?: string };
  /** Link health: the fleet link matrix and each cluster's last link report. */
  links: Pick<FleetLinks, 'view' | 'clusterLinks' | 'incomingLinks' | 'linkDetail'>;
  /** Who rotated, revoked, minted tokens or controlled rollouts. */
  audit: AuditLog;
  /** Where agents' reports go: onto the report queue. */
  reports: ReportIntake;
  /** True when this replica's workers run; /readyz reports it. */
  workersRunning(): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    hub: HubServices;
  }
}

export default fp<{ services: HubServices }>(async (app, options) => {
  app.decorate('hub', options.services);
}, { name: 'services' });
