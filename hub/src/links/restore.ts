import type { RedisClient } from '@netfleet/shared/redis/connection';
import { LinkReportBodySchema, type LinkReportBody } from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import type { HubKeys } from '../redis/keys.js';
import { hmgetEach } from '../redis/pipeline.js';

const validator = compileValidator('stored link report', LinkReportBodySchema);

/** Resource key → since when the link fails (ms), as the ingest keeps it next to the report. */
export type FailingSince = Record<string, number>;

/**
 * The latest link report of every registered cluster (or of the `only` ones), as the ingest
 * stored it (the `links` field of the cluster hash), with since when each of its failing
 * links fails (the `linkFailingSince` field), so a starting hub rebuilds its link matrix.
 * A stored body that no longer matches the link report schema (written by an older agent)
 * is left out and named.
 */
export async function loadLinkReports(
  redis: RedisClient, keys: HubKeys, only?: readonly string[],
): Promise<{ reports: Map<string, LinkReportBody>; failingSince: Map<string, FailingSince>; invalid: string[] }> {
  const names = only ?? await redis.zrange(keys.clusters(), 0, -1);
  const reports = new Map<string, LinkReportBody>();
  const failingSince = new Map<string, FailingSince>();
  const invalid: string[] = [];
  const results = await hmgetEach(redis, names.map((name) => keys.cluster(name)), ['links', 'linkFailingSince']);
  names.forEach((name, index) => {
    const [raw, since] = results[index]!;
    if (typeof raw !== 'string' || raw === '') return;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      invalid.push(name);
      return;
    }
    if (!validator.check(body)) {
      invalid.push(name);
      return;
    }
    reports.set(name, body);
    failingSince.set(name, since ? (JSON.parse(since) as FailingSince) : {});
  });
  return { reports, failingSince, invalid };
}
