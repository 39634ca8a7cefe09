import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Sources the gauges read when /metrics is scraped. They fail soon when Redis is away; the
 * gauges that need Redis then leave their series out, so the scrape still answers and says so.
 */
export interface MetricSources {
  redisUp(): Promise<boolean>;
  queueDepth(): Promise<Array<{ queue: string; state: string; count: number }>>;
  clustersByState(): Promise<Record<string, number>>;
}

/**
 * The hub's Prometheus metrics, on a registry of its own so several hubs can live in one
 * process (tests, benchmarks).
 */
export class HubMetrics {
  readonly registry = new Registry();

  /** Reports by kind and result (`applied`, `duplicate`, or the reason of the rejection). */
  readonly reports = new Counter({
    name: 'netfleet_hub_reports_total', help: 'Reports processed, by kind and result',
    labelNames: ['kind', 'result'] as const, registers: [this.registry],
  });

  /** Report requests answered 429 because the report queue was over its bound. */
  readonly reportsThrottled = new Counter({
    name: 'netfleet_hub_report_requests_throttled_total', help: 'Report requests answered 429 (report queue over its bound)',
    registers: [this.registry],
  });

  readonly ingestDuration = new Histogram({
    name: 'netfleet_hub_ingest_duration_seconds', help: 'Time to verify and apply one report',
    labelNames: ['kind'] as const, registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  });

  readonly alertDeliveries = new Counter({
    name: 'netfleet_hub_alert_deliveries_total', help: 'Alert delivery attempts, by sink and result',
    labelNames: ['sink', 'result'] as const, registers: [this.registry],
  });

  constructor(sources: MetricSources, options: { defaultMetrics?: boolean } = {}) {
    new Gauge({
      name: 'netfleet_hub_redis_up', help: 'Whether this replica\'s Redis answers (1) or not (0)',
      registers: [this.registry],
      async collect() {
        this.set((await sources.redisUp()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'netfleet_hub_queue_depth', help: 'Jobs in the hub queues, by queue and state',
      labelNames: ['queue', 'state'] as const, registers: [this.registry],
      async collect() {
        this.reset();
        for (const { queue, state, count } of await sources.queueDepth().catch(() => [])) this.set({ queue, state }, count);
      },
    });
    new Gauge({
      name: 'netfleet_hub_clusters', help: 'Registered clusters, by state',
      labelNames: ['state'] as const, registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, count] of Object.entries(await sources.clustersByState().catch(() => ({})))) this.set({ state }, count);
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'netfleet_hub_' });
  }
}
