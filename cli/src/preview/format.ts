import type { DriftField } from '@netfleet/shared';
import type { ClusterPreview, FleetPreview } from './compute.js';

/** The preview for a terminal: the fleet summary, then one block per cluster that changes. */
export function previewText(preview: FleetPreview): string {
  const lines = [`netfleet preview ${preview.from} → ${preview.to}`, '', ...preview.summary.map((line) => `  ${line}`)];
  for (const cluster of changing(preview)) lines.push('', `${cluster.cluster} (${cluster.region})${cluster.status === 'changed' ? '' : `: ${cluster.status}`}`, ...clusterLines(cluster, '  '));
  return `${lines.join('\n')}\n`;
}

/** The preview as a pull-request comment: the summary as a list, each cluster collapsed. */
export function previewMarkdown(preview: FleetPreview): string {
  const lines = [`### netfleet preview: \`${preview.from}\` → \`${preview.to}\``, '', ...preview.summary.map((line) => `- ${line}`)];
  for (const cluster of changing(preview)) {
    lines.push(
      '', '<details>', `<summary><b>${cluster.cluster}</b> (${cluster.region}): ${headline(cluster)}</summary>`, '',
      '```diff', ...clusterLines(cluster, ''), '```', '', '</details>',
    );
  }
  return `${lines.join('\n')}\n`;
}

function changing(preview: FleetPreview): ClusterPreview[] {
  return preview.clusters.filter((cluster) => cluster.status !== 'unchanged');
}

function headline(cluster: ClusterPreview): string {
  const parts = [
    cluster.status === 'changed' ? '' : `cluster ${cluster.status}`,
    cluster.created.length ? `${cluster.created.length} created` : '',
    cluster.deleted.length ? `${cluster.deleted.length} deleted` : '',
    cluster.changed.length ? `${cluster.changed.length} changed` : '',
    cluster.pruneLimitStops ? 'prune limit stops the sync' : '',
    cluster.waves.length ? 'wave moves' : '',
    cluster.linksAdded.length + cluster.linksRemoved.length ? 'mesh links change' : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** `+` created, `-` deleted, `~` changed (with `old → new` per field): reads as a diff in both outputs. */
function clusterLines(cluster: ClusterPreview, indent: string): string[] {
  const lines: string[] = [];
  if (cluster.pruneLimitStops) lines.push(`! the prune limit stops this sync: nothing is applied or deleted until the limit is raised`);
  for (const object of cluster.created) lines.push(`+ ${object}`);
  for (const { object, fate } of cluster.deleted) lines.push(`- ${object} (${fate})`);
  for (const { object, fields } of cluster.changed) {
    lines.push(`~ ${object}`);
    for (const field of fields) lines.push(`    ${field.path}: ${describeChange(field)}`);
  }
  for (const move of cluster.waves) lines.push(`~ rollout ${move.policy}: wave ${move.from ?? '(none)'} → ${move.to ?? '(none)'}`);
  for (const link of cluster.linksAdded) lines.push(`+ link ${link}`);
  for (const link of cluster.linksRemoved) lines.push(`- link ${link}`);
  return lines.map((line) => `${indent}${line}`);
}

function describeChange(field: DriftField): string {
  if (field.live === undefined) return `added ${value(field.desired)}`;
  if (field.desired === undefined) return `removed (was ${value(field.live)})`;
  return `${value(field.live)} → ${value(field.desired)}`;
}

const MAX_VALUE = 80;

function value(json: unknown): string {
  const text = JSON.stringify(json);
  return text.length <= MAX_VALUE ? text : `${text.slice(0, MAX_VALUE - 1)}…`;
}
