import type { Redis } from 'ioredis';
import { LinkReportBodySchema, type LinkReportBody } from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import type { HubKeys } from '../redis/keys.js';

const validator = compileValidator('stored link report', LinkReportBodySchema);

/**
 * The latest link report of every registered cluster (or of the `only` ones), as the ingest
 * stored it (the `links` field of the cluster hash), so a starting hub rebuilds its link
 * matrix. A stored body that no longer matches the link report schema (written by an older
 * agent) is left out and named.
 */
export async function loadLinkReports(
  redis: Redis, keys: HubKeys, only?: readonly string[],
): Promise<{ reports: Map<string, LinkReportBody>; invalid: string[] }> {
  const names = only ?? await redis.zrange(keys.clusters(), 0, -1);
  const reports = new Map<string, LinkReportBody>();
  const invalid: string[] = [];
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.hget(keys.cluster(name), 'links');
  const results = (await pipeline.exec()) ?? [];
  names.forEach((name, index) => {
    const [error, raw] = results[index] ?? [null, null];
    if (error) throw error;
    if (typeof raw !== 'string' || raw === '') return;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      invalid.push(name);
      return;
    }
    if (validator.check(body)) reports.set(name, body);
    else invalid.push(name);
  });
  return { reports, invalid };
}
