import { createHash } from 'node:crypto';
import { MAX_REPORTS_PER_REQUEST, reportJobId } from '@netfleet/shared';

/**
 * The report queue's jobs. The API queues one job per request (the reports one cluster sent
 * together), so the queue's cost per job and the ingest script's round trip are shared by
 * the request's reports. A job's data is the list of the reports' JSON texts; a job queued
 * by an earlier hub version holds one report's text, and the workers take both.
 */
export type ReportJobData = string[];

/** Most report text (UTF-8 bytes) in one job: a request holding more is queued as several jobs. */
export const maxJobBytes = (maxReportBytes: number) => 4 * maxReportBytes;

/**
 * Longest stored payload (the job data as JSON) of a job within its bounds: escaping turns
 * one byte into at most six characters (`\u0000`), plus each text's quotes and comma and
 * the brackets. Anything longer is refused before it is parsed.
 */
export function maxPayloadChars(maxReportBytes: number, batch: boolean): number {
  return batch ? 6 * maxJobBytes(maxReportBytes) + 3 * MAX_REPORTS_PER_REQUEST + 2 : 6 * maxReportBytes + 2;
}

/**
 * Id of the job holding `seqs` of `sender` (ascending or as sent): `<sender>.<seq>` for one
 * report (`reportJobId`), else `<sender>.<first>-<last>-<digest of every seq>`, so a resent
 * request is not queued twice while its job waits, and another set of seqs never shares its
 * id. The sender is what `clusterOfJobId` reads back.
 */
export function reportBatchJobId(sender: string, seqs: readonly number[]): string {
  if (seqs.length === 1) return reportJobId(sender, seqs[0]!);
  const digest = createHash('sha1').update(seqs.join(',')).digest('hex').slice(0, 16);
  return `${sender}.${seqs[0]}-${seqs[seqs.length - 1]}-${digest}`;
}

/**
 * The jobs for one request's accepted reports, in order: as few as hold them within
 * `maxJobBytes` of text each (one, unless the reports are large together).
 */
export function reportJobs(sender: string, reports: ReadonlyArray<{ seq: number; text: string; bytes: number }>, maxReportBytes: number) {
  const jobs = [];
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < reports.length; index += 1) {
    if (index > start && bytes + reports[index]!.bytes > maxJobBytes(maxReportBytes)) {
      jobs.push(reportJob(sender, reports.slice(start, index)));
      start = index;
      bytes = 0;
    }
    bytes += reports[index]!.bytes;
  }
  if (reports.length > start) jobs.push(reportJob(sender, reports.slice(start)));
  return jobs;
}

/** One job of `sender`'s reports, with the queue options every report job has. */
export function reportJob(sender: string, reports: ReadonlyArray<{ seq: number; text: string }>) {
  return {
    name: 'reports',
    data: reports.map((report) => report.text) satisfies ReportJobData,
    opts: {
      jobId: reportBatchJobId(sender, reports.map((report) => report.seq)),
      // Ingest errors (Redis trouble on the worker's side) are retried.
      attempts: 20,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  };
}
