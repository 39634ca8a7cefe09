/**
 * Checks PromQL expressions (alert rules, dashboard panels) against the metrics a process
 * really exposes on /metrics: every series name a selector uses must be exposed, every
 * label it matches on must be on that series, and an exact value (`label="value"`) must be
 * one the series shows where it has any. Labels Prometheus attaches when scraping (target
 * labels) are not the process's to expose and are taken as given.
 */
import { parser } from '@prometheus-io/lezer-promql';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface LabelMatcher { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }
export interface Selector { metric: string; matchers: LabelMatcher[] }

/** What one scrape exposes: series name → the label sets of its samples. */
export type Exposed = Map<string, Array<Record<string, string>>>;

/** Labels the Prometheus operator's scrape configs attach to every target's series. */
export const TARGET_LABELS = ['namespace', 'pod', 'container', 'job', 'instance', 'endpoint', 'service'];

/** Grafana's interval macros, replaced by a value of their kind so the expression parses. */
const GRAFANA_MACROS: Record<string, string> = { $__rate_interval: '5m', $__interval: '1m', $__range: '1h' };

export function withoutGrafanaMacros(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, (macro) => GRAFANA_MACROS[macro]!);
}

/** The vector selectors of an expression; a syntax error throws with its offset. */
export function promqlSelectors(expr: string): Selector[] {
  const selectors: Selector[] = [];
  const cursor = parser.parse(expr).cursor();
  const text = (from: number, to: number) => expr.slice(from, to);
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error at offset ${cursor.from} of ${JSON.stringify(expr)}`);
    if (cursor.name !== 'VectorSelector') continue;
    const selector: Selector = { metric: '', matchers: [] };
    const node = cursor.node;
    const identifier = node.getChild('Identifier');
    if (identifier) selector.metric = text(identifier.from, identifier.to);
    for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      const label = matcher.getChild('LabelName')!;
      const op = matcher.getChild('MatchOp')!;
      const value = matcher.getChild('StringLiteral')!;
      selector.matchers.push({ label: text(label.from, label.to), op: text(op.from, op.to) as LabelMatcher['op'], value: JSON.parse(text(value.from, value.to)) as string });
    }
    const named = selector.matchers.find((matcher) => matcher.label === '__name__' && matcher.op === '=');
    if (named) selector.metric = named.value;
    selectors.push(selector);
  } while (cursor.next());
  return selectors;
}

interface Family {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ labels?: Record<string, string> }>;
}

/** The series names and label sets a Prometheus text exposition holds (a histogram's `_bucket`, `_sum`, `_count`). */
export function exposedSeries(exposition: string): Exposed {
  const exposed: Exposed = new Map();
  const add = (name: string, labels: Record<string, string>[]) => exposed.set(name, [...(exposed.get(name) ?? []), ...labels]);
  for (const family of parsePrometheusTextFormat(exposition) as Family[]) {
    const labels = family.metrics.map((metric) => metric.labels ?? {});
    if (family.type === 'HISTOGRAM' || family.type === 'SUMMARY') {
      const extra = family.type === 'HISTOGRAM' ? 'le' : 'quantile';
      add(family.type === 'HISTOGRAM' ? `${family.name}_bucket` : family.name, labels.map((set) => ({ ...set, [extra]: '' })));
      add(`${family.name}_sum`, labels);
      add(`${family.name}_count`, labels);
    } else {
      add(family.name, labels);
    }
  }
  return exposed;
}

/** What an expression uses that the exposition lacks, one sentence each; empty when all is there. */
export function missingUses(expr: string, exposed: Exposed): string[] {
  const problems: string[] = [];
  for (const { metric, matchers } of promqlSelectors(withoutGrafanaMacros(expr))) {
    const series = exposed.get(metric);
    if (!series) {
      problems.push(`${metric} is not exposed`);
      continue;
    }
    for (const { label, op, value } of matchers) {
      if (label === '__name__' || TARGET_LABELS.includes(label) || series.length === 0) continue;
      const values = series.map((labels) => labels[label]).filter((seen): seen is string => seen !== undefined);
      if (values.length === 0) problems.push(`${metric} has no label ${label} (its labels: ${[...new Set(series.flatMap(Object.keys))].join(', ') || 'none'})`);
      else if (op === '=' && !values.includes(value)) problems.push(`${metric}{${label}="${value}"}: no series has that value (seen: ${[...new Set(values)].join(', ')})`);
    }
  }
  return problems;
}
