/**
 * The data a report is made from. `renderReport(spec)` turns a {@link ReportSpec} into one
 * self-contained HTML page; `renderComparison(runs)` builds such a spec from several
 * {@link RunSummary} values. Everything here is plain data, so a spec can be written to JSON and
 * rendered later.
 */

/** Numbers as plain arrays or typed arrays. */
export type Numbers = ArrayLike<number>;

/** An axis: its label, its unit (shown as "label (unit)") and its scale. */
export interface AxisSpec {
  label: string;
  unit?: string;
  /** `'log'` drops values <= 0 (they are counted in the chart's note). Default `'linear'`. */
  scale?: 'linear' | 'log';
}

/** One curve of a line chart, e.g. the `loss` column of metrics.jsonl against `step`. */
export interface LineSeries {
  name: string;
  x: Numbers;
  y: Numbers;
}

export interface LineChartSection {
  kind: 'lineChart';
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: LineSeries[];
}

/**
 * One labelled point of a trade-off plot, e.g. a method's mean reward against its mean KL, with
 * the spread over seeds drawn as error bars (+-xErr, +-yErr).
 */
export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  xErr?: number;
  yErr?: number;
  /** Points of one group share a colour (e.g. the method). Defaults to the label. */
  group?: string;
}

export interface ScatterSection {
  kind: 'scatter';
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  points: ScatterPoint[];
}

/** One ROC curve as (FPR, TPR) pairs, e.g. from `rocCurve(...).points`. */
export interface RocSeries {
  name: string;
  fpr: Numbers;
  tpr: Numbers;
  /** Shown in the legend when given, e.g. the AUC. */
  auc?: number;
}

/**
 * A ROC plot on log-log axes, the way membership-inference results are read (the low-FPR corner
 * matters). Zero rates cannot sit on a log axis; they are drawn at the axis floor and counted in a note.
 */
export interface RocSection {
  kind: 'roc';
  title: string;
  curves: RocSeries[];
  /** Lowest rate drawn; default: a decade below the smallest positive rate, at most 1e-3. */
  floor?: number;
}

export type Cell = string | number | boolean | null | undefined;

export interface TableSection {
  kind: 'table';
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Significant digits for numeric cells. Default 4. */
  digits?: number;
}

/** Generated text, shown verbatim and HTML-escaped. */
export interface SamplesSection {
  kind: 'samples';
  title: string;
  samples: { label?: string; text: string }[];
}

/** A paragraph of plain text (escaped, never interpreted as HTML). */
export interface TextSection {
  kind: 'text';
  title?: string;
  text: string;
}

export type ReportSection =
  | LineChartSection
  | ScatterSection
  | RocSection
  | TableSection
  | SamplesSection
  | TextSection;

/** Scalar run metadata shown in the page header (method, seed, git commit, start time, ...). */
export type RunMetadata = Record<string, string | number | boolean | null | undefined>;

export interface ReportSpec {
  title: string;
  subtitle?: string;
  meta?: RunMetadata;
  sections: ReportSection[];
}

/**
 * Summary of one run directory, the input of `renderComparison`. The CLI builds it from `config.json`,
 * `eval.json` and `metrics.jsonl`.
 */
export interface RunSummary {
  /** The run directory's name, e.g. `dpo-seed1`. */
  name: string;
  /** The method that produced it; runs with the same method are aggregated over seeds. */
  method: string;
  seed?: number;
  /** Final scalar metrics (eval.json). Non-finite values are ignored in the aggregates. */
  metrics: Record<string, number>;
  /** Logged curves by metric name, e.g. `{ loss: { x: steps, y: losses } }`. */
  curves?: Record<string, { x: Numbers; y: Numbers }>;
  meta?: RunMetadata;
}

/** The two metrics of the trade-off plot, e.g. `{ x: 'kl', y: 'reward' }`. */
export interface TradeoffSpec {
  x: string;
  y: string;
  xAxis?: AxisSpec;
  yAxis?: AxisSpec;
}

export interface ComparisonOptions {
  title?: string;
  /** Default: the first pair of `DEFAULT_TRADEOFFS` whose both metrics appear in some run. */
  tradeoff?: TradeoffSpec;
  /** Metric names for the table, in order. Default: every metric of any run, sorted. */
  metrics?: string[];
  /** Curve names to plot. Default: every curve of any run, sorted. */
  curves?: string[];
}
