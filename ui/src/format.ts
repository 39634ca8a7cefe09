/** "3 min ago" for a timestamp, "never" for none. */
export function ago(time: string | null | undefined): string {
  if (!time) return 'never';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

export const shortRevision = (revision: string | null | undefined) => (revision ? revision.slice(0, 10) : '—');

export const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(', ');

/** A sync's duration: "850 ms", "12.3 s", "4 min 5 s"; "unknown" when the agent did not report it (older agents). */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Whole days a certificate has left (negative once expired), or why it is not known. */
export function certificateText(daysLeft: number | undefined): string {
  if (daysLeft === undefined) return 'unknown (no probe of this link has read a certificate)';
  if (daysLeft < 0) return 'expired';
  if (daysLeft === 0) return 'expires within a day';
  return `${daysLeft} day${daysLeft === 1 ? '' : 's'} left`;
}
