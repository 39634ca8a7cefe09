import { randomUUID } from 'node:crypto';
import { MAX_REPORTS_PER_REQUEST } from '@netfleet/shared';

/**
 * The report queue's jobs. The API gathers the requests that arrive within a few
 * milliseconds (`ReportCommit`) and queues them as one job, so BullMQ's cost per job and
 * the workers' round trips are shared by many requests, also when each holds one heartbeat.
 * Each request in the job names the cluster whose token sent it.
 *
 * Jobs queued by earlier hub versions are taken too: one request's texts (a list) or one
 * report's text, with the sender in the job id (`clusterOfJobId`).
 */
export interface ReportJobData {
  requests: RequestReports[];
}

/** Reports of one request (or part of one): the authenticated sender and the reports' JSON texts, in order. */
export interface RequestReports {
  sender: string;
  reports: string[];
}

/** Most report text (UTF-8 bytes) in one job: a request holding more is queued in parts. */
export const maxJobBytes = (maxReportBytes: number) => 4 * maxReportBytes;

/** Most reports in one job (a request holds at most MAX_REPORTS_PER_REQUEST). */
export const MAX_REPORTS_PER_JOB = 10 * MAX_REPORTS_PER_REQUEST;

/** What a job's stored payload is: a group of requests, one request's texts (earlier hubs), or one report's text (earlier still). */
export type PayloadShape = 'group' | 'request' | 'report';

/** Longest cluster name plus `{"sender":"","reports":[]},`. */
const REQUEST_OVERHEAD_CHARS = 63 + 28;

/**
 * Longest stored payload (the job data as JSON) of a job within its bounds: escaping turns
 * one byte into at most six characters (`\u0000`), plus each text's quotes and comma, each
 * request's sender and brackets (a request has a report at least) and the brackets.
 * Anything longer is refused before it is parsed.
 */
export function maxPayloadChars(maxReportBytes: number, shape: PayloadShape): number {
  switch (shape) {
    case 'group': return 6 * maxJobBytes(maxReportBytes) + (3 + REQUEST_OVERHEAD_CHARS) * MAX_REPORTS_PER_JOB + 16;
    case 'request': return 6 * maxJobBytes(maxReportBytes) + 3 * MAX_REPORTS_PER_REQUEST + 2;
    case 'report': return 6 * maxReportBytes + 2;
  }
}

/**
 * One request's accepted reports in parts of at most `maxJobBytes` of text each (one part,
 * unless the reports are large together), in order.
 */
export function requestParts(sender: string, reports: ReadonlyArray<{ text: string; bytes: number }>, maxReportBytes: number): Array<RequestReports & { bytes: number }> {
  const parts: Array<RequestReports & { bytes: number }> = [];
  let part: RequestReports & { bytes: number } | undefined;
  for (const report of reports) {
    if (!part || (part.reports.length > 0 && part.bytes + report.bytes > maxJobBytes(maxReportBytes))) {
      part = { sender, reports: [], bytes: 0 };
      parts.push(part);
    }
    part.reports.push(report.text);
    part.bytes += report.bytes;
  }
  return parts;
}

/** One job holding `requests`, with the queue options every report job has. */
export function reportJob(requests: readonly RequestReports[]) {
  return {
    name: 'reports',
    data: { requests: requests.map(({ sender, reports }) => ({ sender, reports })) } satisfies ReportJobData,
    opts: {
      // Unique: requests gathered together share no seqs to name the job by (a resend is a duplicate the ingest script skips).
      jobId: randomUUID(),
      // Ingest errors (Redis trouble on the worker's side) are retried.
      attempts: 20,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    },
  };
}
