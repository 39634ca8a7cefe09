import { Gauge, Histogram, type Registry } from 'prom-client';
import type { RolloutHeader } from './machine.js';
import type { RolloutStore } from './store.js';

/** How many recent rollouts the by-phase gauge counts. */
const COUNTED_ROLLOUTS = 1000;

/** Rollout metrics on the hub's registry: rollouts by phase, and how long waves take. */
export class RolloutMetrics {
  readonly waveDuration: Histogram<'wave'>;

  constructor(registry: Registry, store: RolloutStore) {
    new Gauge({
      name: 'netfleet_hub_rollouts', help: `Rollouts by phase (the last ${COUNTED_ROLLOUTS})`,
      labelNames: ['phase'] as const, registers: [registry],
      async collect() {
        this.reset();
        const counts = new Map<string, number>();
        // Redis away: no series (netfleet_hub_redis_up says why), the scrape still answers.
        for (const rollout of await store.list({ limit: COUNTED_ROLLOUTS }).catch(() => [])) counts.set(rollout.phase, (counts.get(rollout.phase) ?? 0) + 1);
        for (const [phase, count] of counts) this.set({ phase }, count);
      },
    });
    this.waveDuration = new Histogram({
      name: 'netfleet_hub_rollout_wave_duration_seconds', help: 'Time from a wave\'s start until it advanced, by wave name',
      labelNames: ['wave'] as const, registers: [registry],
      buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400],
    });
  }

  /** Records the waves `after` completed that `before` had not. */
  wavesCompleted(before: RolloutHeader, after: RolloutHeader): void {
    after.waves.forEach((timing, index) => {
      if (timing.completedAt === null || before.waves[index]!.completedAt !== null || timing.startedAt === null) return;
      this.waveDuration.observe({ wave: after.plan.waves[index]!.name }, (timing.completedAt - timing.startedAt) / 1000);
    });
  }
}
