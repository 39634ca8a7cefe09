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

/** An aggregation's `by (...)` labels, and the selectors it aggregates over. */
export interface Grouping { labels: string[]; selectors: Selector[] }

/** The vector selectors and `by` groupings of an expression; a syntax error throws with its offset. */
export function promqlUses(expr: string): { selectors: Selector[]; groupings: Grouping[] } {
  const selectors: Array<Selector & { at: number }> = [];
  const aggregations: Array<{ labels: string[]; from: number; to: number }> = [];
  const cursor = parser.parse(expr).cursor();
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error at offset ${cursor.from} of ${JSON.stringify(expr)}`);
    const node = cursor.node;
    if (cursor.name === 'AggregateExpr') {
      const modifier = node.getChild('AggregateModifier');
      if (modifier?.getChild('By')) aggregations.push({ labels: modifier.getChild('GroupingLabels')!.getChildren('LabelName').map(text), from: node.from, to: node.to });
    }
    if (cursor.name !== 'VectorSelector') continue;
    const selector: Selector & { at: number } = { metric: '', matchers: [], at: node.from };
    const identifier = node.getChild('Identifier');
    if (identifier) selector.metric = text(identifier);
    for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      const value = text(matcher.getChild('StringLiteral')!);
      selector.matchers.push({ label: text(matcher.getChild('LabelName')!), op: text(matcher.getChild('MatchOp')!) as LabelMatcher['op'], value: JSON.parse(value) as string });
    }
    const named = selector.matchers.find((matcher) => matcher.label === '__name__' && matcher.op === '=');
    if (named) selector.metric = named.value;
    selectors.push(selector);
  } while (cursor.next());
  const plain = ({ metric, matchers }: Selector): Selector => ({ metric, matchers });
  return {
    selectors: selectors.map(plain),
    groupings: aggregations.map(({ labels, from, to }) => ({ labels, selectors: selectors.filter(({ at }) => at >= from && at < to).map(plain) })),
  };
}

/** The vector selectors of an expression; a syntax error throws with its offset. */
export function promqlSelectors(expr: string): Selector[] {
  return promqlUses(expr).selectors;
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
  const { selectors, groupings } = promqlUses(withoutGrafanaMacros(expr));
  const labelsOf = (series: Array<Record<string, string>>) => [...new Set(series.flatMap(Object.keys))];
  for (const { metric, matchers } of selectors) {
    const series = exposed.get(metric);
    if (!series) {
      problems.push(`${metric} is not exposed`);
      continue;
    }
    for (const { label, op, value } of matchers) {
      if (label === '__name__' || TARGET_LABELS.includes(label) || series.length === 0) continue;
      const values = series.map((labels) => labels[label]).filter((seen): seen is string => seen !== undefined);
      if (values.length === 0) problems.push(`${metric} has no label ${label} (its labels: ${labelsOf(series).join(', ') || 'none'})`);
      else if (op === '=' && !values.includes(value)) problems.push(`${metric}{${label}="${value}"}: no series has that value (seen: ${[...new Set(values)].join(', ')})`);
    }
  }
  // A `by` label must be on what is aggregated, or the result has it empty (and so do the alert's $labels).
  for (const { labels, selectors: aggregated } of groupings) {
    const series = aggregated.flatMap(({ metric }) => exposed.get(metric) ?? []);
    if (series.length === 0) continue;
    for (const label of labels.filter((name) => !TARGET_LABELS.includes(name) && !labelsOf(series).includes(name))) {
      problems.push(`by (${label}): ${[...new Set(aggregated.map(({ metric }) => metric))].join(', ')} has no label ${label} (its labels: ${labelsOf(series).join(', ') || 'none'})`);
    }
  }
  return problems;
}
