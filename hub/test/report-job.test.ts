/**
 * How the API packs a request's reports into report-queue jobs: one job per request unless
 * the reports are too large together, ids that name the sender and tell sets of seqs apart.
 */
import { describe, expect, it } from 'vitest';
import { clusterOfJobId } from '@netfleet/shared';
import { maxJobBytes, reportBatchJobId, reportJobs } from '../src/ingest/report-job.js';

const reports = (sizes: number[]) => sizes.map((bytes, index) => ({ seq: index + 1, text: 'x'.repeat(bytes), bytes }));

describe('report jobs', () => {
  it('puts a request\'s reports in one job, in order', () => {
    const jobs = reportJobs('eu-1', reports([10, 20, 30]), 1000);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data.map((text) => text.length)).toEqual([10, 20, 30]);
    expect(clusterOfJobId(jobs[0]!.opts.jobId)).toBe('eu-1');
  });

  it('starts another job where the text would exceed a job\'s bound, keeping the order', () => {
    const max = maxJobBytes(1000);
    const jobs = reportJobs('eu-1', reports([1000, 1000, 1000, 1000, 1, 1000]), 1000);
    expect(max).toBe(4000);
    expect(jobs.map((job) => job.data.map((text) => text.length))).toEqual([[1000, 1000, 1000, 1000], [1, 1000]]);
    expect(new Set(jobs.map((job) => job.opts.jobId)).size).toBe(2);
  });

  it('names one report\'s job <cluster>.<seq>, and gives other sets of seqs other ids', () => {
    expect(reportBatchJobId('eu-1', [7])).toBe('eu-1.7');
    expect(reportBatchJobId('eu-1', [1, 2, 4])).toBe(reportBatchJobId('eu-1', [1, 2, 4]));
    expect(reportBatchJobId('eu-1', [1, 2, 4])).not.toBe(reportBatchJobId('eu-1', [1, 3, 4]));
    expect(clusterOfJobId(reportBatchJobId('eu-1', [1, 2, 4]))).toBe('eu-1');
    expect(reportBatchJobId('eu-1', [1, 2, 4])).not.toContain(':');
  });
});
