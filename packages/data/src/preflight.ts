/**
 * Data preflight: what a file contains, checked before a run spends time on it. Format, rows loaded and
 * rejected, ties, length percentiles per field, and how many rows the truncation settings would cut
 * or leave without any completion token to learn from.
 */
import { type TokenizedExample, type Truncation, tokenizeExample, truncateRow } from './collate.js';
import type { DataError } from './errors.js';
import type { DataSource, FormatName } from './formats.js';
import { type LoadOptions, type LoadResult, parseDataset } from './load.js';
import { derivePairs } from './pairs.js';
import { type KindName, type KindSpec, kinds, type RatedComparison, type RowOf } from './schema.js';
import type { Tokenizer } from './tokenizer/tokenizer.js';

export interface CheckOptions<K extends KindName> extends LoadOptions {
  kind: K;
  tokenizer?: Tokenizer;
  /** With a tokenizer: count rows longer than this many tokens (bos and eos included). */
  maxLength?: number;
  truncation?: Truncation;
  /** Rated comparisons: the score gap still counted as a tie (default 0). */
  tieThreshold?: number;
  /** A ready loader to read the file instead of the plain kind schema, e.g. `parseHhRlhf`. */
  parse?: (source: DataSource, options: LoadOptions) => LoadResult<RowOf<K>>;
}

/** Nearest-rank percentiles: pN is the smallest value with at least N% of the values at or below it. */
export interface LengthStats {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface FieldLengths {
  /** Lengths in Unicode code points. */
  chars: LengthStats;
  tokens?: LengthStats;
}

export interface DataReport {
  file: string;
  format: FormatName;
  kind: KindName;
  rows: number;
  rejected: number;
  /** The first rejections, to print. */
  rejections: DataError[];
  /** Rows marked as ties; for rated comparisons, tied pairs among all pairs. */
  ties: number;
  /** Rated comparisons only: the number of pairs derived. */
  pairs?: number;
  fields: Record<string, FieldLengths>;
  truncation?: {
    maxLength: number;
    truncation: Truncation;
    tokenizer: string;
    /** Rows with at least one sequence longer than maxLength. */
    truncated: number;
    /** Rows with a sequence that would keep no completion token (collation rejects these). */
    fullyMasked: number;
  };
}

const SHOWN_REJECTIONS = 5;

export function percentiles(values: readonly number[]): LengthStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const rank = (p: number) => (n === 0 ? 0 : sorted[Math.max(0, Math.ceil((p / 100) * n) - 1)]);
  const mean = n === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / n;
  return {
    count: n,
    min: n ? sorted[0] : 0,
    p50: rank(50),
    p90: rank(90),
    p95: rank(95),
    p99: rank(99),
    max: n ? sorted[n - 1] : 0,
    mean,
  };
}

/** Checks a file already in memory; `checkData` in `@lab/data/node` reads it from a path first. */
export function checkSource<K extends KindName>(source: DataSource, options: CheckOptions<K>): DataReport {
  const spec = kinds[options.kind] as unknown as KindSpec<RowOf<K>>;
  const loadOptions: LoadOptions = { ...options, onInvalid: 'skip' };
  const loaded = options.parse
    ? options.parse(source, loadOptions)
    : parseDataset(source, options.kind, loadOptions);
  const report: DataReport = {
    file: source.name,
    format: loaded.format,
    kind: options.kind,
    rows: loaded.loaded,
    rejected: loaded.rejected,
    rejections: loaded.rejections.slice(0, SHOWN_REJECTIONS),
    ties: 0,
    fields: {},
  };
  if (options.kind === 'rated-comparison') {
    const pairs = derivePairs(loaded.rows as RatedComparison[], { tieThreshold: options.tieThreshold });
    report.pairs = pairs.length;
    report.ties = pairs.filter((p) => p.tie).length;
  } else {
    report.ties = loaded.rows.reduce((n, row) => n + spec.isTie(row), 0);
  }
  report.fields = measureFields(loaded.rows, spec, options.tokenizer);
  if (options.tokenizer && options.maxLength !== undefined) {
    report.truncation = countTruncation(
      loaded.rows,
      spec,
      options.tokenizer,
      options.maxLength,
      options.truncation ?? 'keep-end',
    );
  }
  return report;
}

function measureFields<A>(
  rows: readonly A[],
  spec: KindSpec<A>,
  tokenizer: Tokenizer | undefined,
): Record<string, FieldLengths> {
  const chars: Record<string, number[]> = {};
  const tokens: Record<string, number[]> = {};
  for (const row of rows) {
    for (const [field, texts] of Object.entries(spec.texts(row))) {
      for (const text of texts) {
        chars[field] ??= [];
        tokens[field] ??= [];
        // Code points, not UTF-16 units, so an emoji counts as one character.
        chars[field].push(countCodePoints(text));
        if (tokenizer) tokens[field].push(tokenizer.encode(text).length);
      }
    }
  }
  const fields: Record<string, FieldLengths> = {};
  for (const field of Object.keys(chars)) {
    fields[field] = { chars: percentiles(chars[field]) };
    if (tokenizer) fields[field].tokens = percentiles(tokens[field]);
  }
  return fields;
}

function countCodePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    )
      i++;
    n++;
  }
  return n;
}

function countTruncation<A>(
  rows: readonly A[],
  spec: KindSpec<A>,
  tokenizer: Tokenizer,
  maxLength: number,
  truncation: Truncation,
) {
  let truncated = 0;
  let fullyMasked = 0;
  for (const row of rows) {
    const examples: TokenizedExample[] = spec.sequences(row).map((s) => tokenizeExample(tokenizer, s));
    if (examples.some((e) => e.prompt.length + e.completion.length > maxLength)) truncated++;
    if (examples.some((e) => typeof truncateRow(e, maxLength, truncation) === 'string')) fullyMasked++;
  }
  return { maxLength, truncation, tokenizer: tokenizer.name, truncated, fullyMasked };
}

/** Renders a report as plain text, for logs and the command line. */
export function formatReport(report: DataReport): string {
  const lines = [
    `${report.file} (${report.format}, kind ${report.kind})`,
    `  rows ${report.rows} loaded, ${report.rejected} rejected, ${report.ties} ties${report.pairs !== undefined ? ` among ${report.pairs} pairs` : ''}`,
  ];
  for (const e of report.rejections) lines.push(`  rejected line ${e.line}, field ${e.field}: ${e.reason}`);
  const stat = (s: LengthStats) => `p50 ${s.p50}  p90 ${s.p90}  p95 ${s.p95}  p99 ${s.p99}  max ${s.max}`;
  for (const [field, lengths] of Object.entries(report.fields)) {
    lines.push(`  ${field}: chars ${stat(lengths.chars)}`);
    if (lengths.tokens) lines.push(`  ${' '.repeat(field.length)}  tokens ${stat(lengths.tokens)}`);
  }
  const t = report.truncation;
  if (t) {
    lines.push(
      `  maxLength ${t.maxLength} (${t.truncation}, ${t.tokenizer}): ${t.truncated} rows truncated, ${t.fullyMasked} rows would keep no completion token`,
    );
  }
  return lines.join('\n');
}
