// Reading metrics.jsonl text into series for the charts.
import { MetricsParseError } from '../errors.js';

/** One line of metrics.jsonl, e.g. `{"step": 10, "loss": 2.31, "kl": 0.02}`. */
export type MetricRecord = Record<string, unknown>;

/**
 * Parses metrics.jsonl text: one JSON object per line, blank lines ignored. Throws
 * {@link MetricsParseError} with the line number on the first bad line.
 */
export function parseMetricsJsonl(text: string): MetricRecord[] {
  const records: MetricRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new MetricsParseError(i + 1, `invalid JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MetricsParseError(
        i + 1,
        `expected an object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
      );
    }
    records.push(value as MetricRecord);
  });
  return records;
}

// JSON has no NaN or Infinity, so loggers write them as strings; keep them as numbers so the
// charts can count them.
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  return undefined;
}

/**
 * Extracts the series of one metric against `xKey` (default `step`). Records without the metric, or
 * without a numeric x, are left out; `"NaN"` and `"Infinity"` strings become numbers.
 */
export function seriesFromRecords(
  records: readonly MetricRecord[],
  key: string,
  options: { xKey?: string } = {},
): { x: number[]; y: number[] } {
  const xKey = options.xKey ?? 'step';
  const x: number[] = [];
  const y: number[] = [];
  for (const r of records) {
    const xv = asNumber(r[xKey]);
    const yv = asNumber(r[key]);
    if (xv === undefined || yv === undefined) continue;
    x.push(xv);
    y.push(yv);
  }
  return { x, y };
}

/** Extracts every numeric metric of the records (all keys but `xKey`), each as a series against `xKey`. */
export function curvesFromRecords(
  records: readonly MetricRecord[],
  options: { xKey?: string } = {},
): Record<string, { x: number[]; y: number[] }> {
  const xKey = options.xKey ?? 'step';
  const keys = new Set<string>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) if (k !== xKey && asNumber(v) !== undefined) keys.add(k);
  }
  const curves: Record<string, { x: number[]; y: number[] }> = {};
  for (const k of [...keys].sort()) curves[k] = seriesFromRecords(records, k, { xKey });
  return curves;
}
