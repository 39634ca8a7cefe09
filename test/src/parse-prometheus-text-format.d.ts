/** The package ships no types: one function from a Prometheus text exposition to its metric families. */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
