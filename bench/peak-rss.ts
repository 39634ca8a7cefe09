import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in MB since it started its program. `process.resourceUsage().maxRSS`
 * is not that for a child process on Linux: the kernel carries the high-water mark across
 * exec, so a child reports at least the RSS its parent had when it forked (a bench parent of
 * 100 MB made a 66 MB agent report 100 MB). `VmHWM` is the peak of the process's own memory
 * since exec; where there is no /proc, maxRSS is what there is.
 */
export function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // No /proc: not Linux.
  }
  return process.resourceUsage().maxRSS / 1024;
}
