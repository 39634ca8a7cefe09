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
