// renderComparison: one page across methods and seeds (`lab report runs/a runs/b ...`).
import { formatNumber } from './format.js';
import { renderReport } from './render.js';
import type {
  Cell,
  ComparisonOptions,
  LineSeries,
  Numbers,
  ReportSection,
  ReportSpec,
  RunSummary,
  ScatterPoint,
  TradeoffSpec,
} from './types.js';

/**
 * Trade-off plots by field, tried in order: the first pair whose two metric names both occur in
 * some run is drawn. Method packages should name their metrics accordingly, or pass
 * `options.tradeoff`.
 */
export const DEFAULT_TRADEOFFS: readonly TradeoffSpec[] = [
  {
    x: 'kl',
    y: 'reward',
    xAxis: { label: 'KL(policy ‖ reference)', unit: 'nats' },
    yAxis: { label: 'reward' },
  },
  {
    x: 'kl',
    y: 'winRate',
    xAxis: { label: 'KL(policy ‖ reference)', unit: 'nats' },
    yAxis: { label: 'win rate' },
  },
  {
    x: 'kl',
    y: 'accuracy',
    xAxis: { label: 'KL(policy ‖ reference)', unit: 'nats' },
    yAxis: { label: 'accuracy' },
  },
  {
    x: 'modelUtility',
    y: 'forgetQuality',
    xAxis: { label: 'model utility' },
    yAxis: { label: 'forget quality (KS p-value)', scale: 'log' },
  },
  { x: 'auc', y: 'tprAtFpr', xAxis: { label: 'AUC' }, yAxis: { label: 'TPR at fixed FPR' } },
  { x: 'acceptanceRate', y: 'accuracy', xAxis: { label: 'acceptance rate' }, yAxis: { label: 'accuracy' } },
];

export interface SeedAggregate {
  /** Mean of the finite values; NaN when there is none. */
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for one value, NaN for none. */
  sd: number;
  /** Number of finite values. */
  n: number;
}

/** Computes the mean and spread over seeds, ignoring NaN and infinite values. */
export function aggregateSeeds(values: Numbers): SeedAggregate {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  const n = finite.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, n };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? 0 : Math.sqrt(finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n };
}

/** Runs grouped by method, in order of first appearance. */
function groupByMethod(runs: readonly RunSummary[]): Map<string, RunSummary[]> {
  const groups = new Map<string, RunSummary[]>();
  for (const run of runs) {
    const list = groups.get(run.method) ?? [];
    list.push(run);
    groups.set(run.method, list);
  }
  return groups;
}

/**
 * Builds the comparison as a {@link ReportSpec}, so the caller can add sections before rendering.
 * Contents: a metric table by method (mean ± sd over seeds), the trade-off plot with the spread
 * over seeds as error bars, one chart per logged curve (the mean over seeds at each x), and a table
 * of every run.
 */
export function buildComparison(runs: readonly RunSummary[], options: ComparisonOptions = {}): ReportSpec {
  const groups = groupByMethod(runs);
  const metricNames = options.metrics ?? [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const curveNames = options.curves ?? [...new Set(runs.flatMap((r) => Object.keys(r.curves ?? {})))].sort();
  const sections: ReportSection[] = [
    {
      kind: 'text',
      text:
        `${runs.length} run${runs.length === 1 ? '' : 's'} of ${groups.size} method${groups.size === 1 ? '' : 's'}. ` +
        'Values are the mean ± sample standard deviation over the seeds of each method; n counts the runs with a finite value.',
    },
    methodTable(groups, metricNames),
  ];
  const tradeoff =
    options.tradeoff ??
    DEFAULT_TRADEOFFS.find((t) => runs.some((r) => t.x in r.metrics) && runs.some((r) => t.y in r.metrics));
  if (tradeoff) sections.push(tradeoffPlot(groups, tradeoff));
  for (const curve of curveNames) sections.push(curveChart(groups, curve));
  sections.push(runTable(runs, metricNames));
  return {
    title: options.title ?? `Comparison of ${[...groups.keys()].join(', ') || 'no runs'}`,
    meta: { runs: runs.map((r) => r.name).join(', '), methods: [...groups.keys()].join(', ') },
    sections,
  };
}

/** Renders `buildComparison(runs, options)` to HTML. */
export function renderComparison(runs: readonly RunSummary[], options: ComparisonOptions = {}): string {
  return renderReport(buildComparison(runs, options));
}

function methodTable(groups: Map<string, RunSummary[]>, metricNames: string[]): ReportSection {
  const rows: Cell[][] = [];
  for (const [method, list] of groups) {
    const cells: Cell[] = [method, list.length];
    for (const name of metricNames) {
      const agg = aggregateSeeds(list.map((r) => r.metrics[name] ?? Number.NaN));
      if (agg.n === 0) cells.push(null);
      else if (agg.n === 1) cells.push(`${formatNumber(agg.mean)} (n=1)`);
      else cells.push(`${formatNumber(agg.mean)} ± ${formatNumber(agg.sd, 2)} (n=${agg.n})`);
    }
    rows.push(cells);
  }
  return {
    kind: 'table',
    title: 'Metrics by method (mean ± sd over seeds)',
    columns: ['method', 'runs', ...metricNames],
    rows,
  };
}

function tradeoffPlot(groups: Map<string, RunSummary[]>, t: TradeoffSpec): ReportSection {
  const points: ScatterPoint[] = [];
  for (const [method, list] of groups) {
    const x = aggregateSeeds(list.map((r) => r.metrics[t.x] ?? Number.NaN));
    const y = aggregateSeeds(list.map((r) => r.metrics[t.y] ?? Number.NaN));
    if (x.n === 0 || y.n === 0) continue;
    points.push({
      label: `${method} (n=${Math.min(x.n, y.n)})`,
      group: method,
      x: x.mean,
      y: y.mean,
      xErr: x.sd,
      yErr: y.sd,
    });
  }
  return {
    kind: 'scatter',
    title: `Trade-off: ${t.y} against ${t.x} (error bars: ±1 sd over seeds)`,
    x: t.xAxis ?? { label: t.x },
    y: t.yAxis ?? { label: t.y },
    points,
  };
}

function curveChart(groups: Map<string, RunSummary[]>, curve: string): ReportSection {
  const series: LineSeries[] = [];
  for (const [method, list] of groups) {
    const byX = new Map<number, number[]>();
    let seeds = 0;
    for (const run of list) {
      const c = run.curves?.[curve];
      if (!c) continue;
      seeds++;
      const n = Math.min(c.x.length, c.y.length);
      for (let i = 0; i < n; i++) {
        const values = byX.get(c.x[i]) ?? [];
        values.push(c.y[i]);
        byX.set(c.x[i], values);
      }
    }
    if (seeds === 0) continue;
    const xs = [...byX.keys()].sort((a, b) => a - b);
    series.push({
      name: seeds === 1 ? method : `${method} (mean of ${seeds})`,
      x: xs,
      // A step where no seed has a finite value stays NaN, so the chart counts it.
      y: xs.map((x) => aggregateSeeds(byX.get(x)!).mean),
    });
  }
  return { kind: 'lineChart', title: curve, x: { label: 'step' }, y: { label: curve }, series };
}

function runTable(runs: readonly RunSummary[], metricNames: string[]): ReportSection {
  const rows = runs.map((r): Cell[] => [
    r.name,
    r.method,
    r.seed ?? null,
    ...metricNames.map((m) => r.metrics[m] ?? null),
  ]);
  return { kind: 'table', title: 'Runs', columns: ['run', 'method', 'seed', ...metricNames], rows };
}
