/**
 * How the API packs requests into report-queue jobs: a request in one part unless its
 * reports are too large together, every request named with its sender, unique job ids.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REPORTS_PER_JOB, maxJobBytes, maxPayloadChars, reportJob, requestParts } from '../src/ingest/report-job.js';

const reports = (sizes: number[]) => sizes.map((bytes) => ({ text: 'x'.repeat(bytes), bytes }));

describe('report jobs', () => {
  it('keeps a request\'s reports in one part, in order, named with the sender', () => {
    const parts = requestParts('eu-1', reports([10, 20, 30]), 1000);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.sender).toBe('eu-1');
    expect(parts[0]!.reports.map((text) => text.length)).toEqual([10, 20, 30]);
    expect(parts[0]!.bytes).toBe(60);
  });

  it('starts another part where the text would exceed a job\'s bound, keeping the order', () => {
    const max = maxJobBytes(1000);
    const parts = requestParts('eu-1', reports([1000, 1000, 1000, 1000, 1, 1000]), 1000);
    expect(max).toBe(4000);
    expect(parts.map((part) => part.reports.map((text) => text.length))).toEqual([[1000, 1000, 1000, 1000], [1, 1000]]);
  });

  it('gives every job its own id, without the characters BullMQ reserves', () => {
    const requests = [{ sender: 'eu-1', reports: ['a'] }, { sender: 'us-1', reports: ['b', 'c'] }];
    const [first, second] = [reportJob(requests), reportJob(requests)];
    expect(first.data).toEqual({ requests });
    expect(first.opts.jobId).not.toBe(second.opts.jobId);
    expect(first.opts.jobId).not.toContain(':');
  });

  it('bounds a group\'s stored payload above what the largest job of the API takes', () => {
    const maxReportBytes = 1000;
    // Every byte escaped to six characters, as many one-report requests as a job holds, each of the longest sender.
    const sender = 'x'.repeat(63);
    const largest = JSON.stringify(reportJob(Array.from({ length: MAX_REPORTS_PER_JOB }, (_, index) => ({ sender, reports: [index === 0 ? '\u0000'.repeat(maxJobBytes(maxReportBytes)) : ''] }))).data);
    expect(largest.length).toBeLessThanOrEqual(maxPayloadChars(maxReportBytes, 'group'));
    expect(largest.startsWith('{"requests"')).toBe(true);
  });
});
