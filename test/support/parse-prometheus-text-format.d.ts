/**
 * Types for `parse-prometheus-text-format` (it ships none): the Prometheus text format parsed into
 * families, in prom2json's shape. Used by test/server/metrics.test.ts.
 */
declare module 'parse-prometheus-text-format' {
  /** One sample (gauge, counter, untyped) or one labelled histogram/summary. */
  export interface ParsedSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  /** One family: its name, help, type and samples. */
  export interface ParsedFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: ParsedSample[];
  }
  /** Parses Prometheus text format (0.0.4). */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
