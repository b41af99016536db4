/**
 * The comparison of variants: one HTML page through @lab/eval (metric table by method, reward against
 * KL across checkpoints, a curve per metric, checkpoint table, samples) and the plain-text table
 * printed at the end of a run.
 */
import {
  buildComparison,
  type ReportSection,
  type ReportSpec,
  type RunSummary,
  renderReport,
} from '@lab/eval';
import type { MetricLine } from '@lab/trainer';
import type { PolicySample } from '../steering/evaluate.js';
import type { RewardReport } from '../steering/reward.js';
import type { VariantPlan } from './variants.js';

export interface VariantResult {
  plan: VariantPlan;
  /** Final metrics, from the newest checkpoint. */
  metrics: Record<string, number>;
  samples: PolicySample[];
}

/** Lists the metrics of the printed table, the headline of each variant. */
export function headlineMetrics(kind: ComparisonInput['kind']): string[] {
  return LAYOUT[kind].text.map(([, name]) => name as string);
}

/** Evaluation curves of one stage: the steps and each metric's value at them. */
export interface StageCurves {
  steps: number[];
  values: Record<string, number[]>;
}

export interface ComparisonInput {
  title: string;
  /** steering: policies are sampled and rewarded; pairs: only held-out pairs (and a final KL) are measured. */
  kind: 'steering' | 'pairs';
  results: readonly VariantResult[];
  curves: ReadonlyMap<string, StageCurves>;
  rewardReport: RewardReport | null;
  /** Lines describing the setup (data sizes, steps, backend), shown at the top. */
  setup: readonly string[];
  /** Reward-model words, shown with its accuracy. */
  rewardWords?: { positive: string[]; negative: string[] };
}

/** Collects the eval lines of metrics.jsonl as curves by stage. */
export function readCurves(lines: readonly MetricLine[]): Map<string, StageCurves> {
  const curves = new Map<string, StageCurves>();
  const sorted = lines.filter((l) => l.split === 'eval').sort((a, b) => a.step - b.step);
  for (const line of sorted) {
    const curve = curves.get(line.stage) ?? { steps: [], values: {} };
    if (curve.steps.includes(line.step)) continue;
    const index = curve.steps.length;
    curve.steps.push(line.step);
    for (const [name, metric] of Object.entries(line.metrics)) {
      const values = curve.values[name] ?? [];
      values[index] = metric.value;
      curve.values[name] = values;
    }
    curves.set(line.stage, curve);
  }
  return curves;
}

/** Returns the step-0 metrics (the reference itself) from the first stage that logged them. */
export function referenceMetrics(
  input: Pick<ComparisonInput, 'curves' | 'results'>,
): Record<string, number> | null {
  for (const r of input.results) {
    const curve = input.curves.get(r.plan.stage);
    const at = curve?.steps.indexOf(0) ?? -1;
    if (curve && at >= 0) return Object.fromEntries(Object.entries(curve.values).map(([k, v]) => [k, v[at]]));
  }
  return null;
}

/** Curves, metric-table columns and text-table columns of each kind of comparison. */
const LAYOUT = {
  steering: {
    curves: [
      'reward',
      'kl',
      'distinct',
      'accuracy',
      'threeWayAccuracyRK',
      'threeWayAccuracyD',
      'clearMarginMean',
      'tieMarginStd',
    ],
    table: [
      'reward',
      'kl',
      'distinct',
      'accuracy',
      'threeWayAccuracyRK',
      'threeWayAccuracyD',
      'tieAccuracyRK',
      'tieMarginStd',
    ],
    text: [
      ['reward', 'reward'],
      ['KL', 'kl'],
      ['distinct', 'distinct'],
      ['clear acc', 'accuracy'],
      ['3-way RK', 'threeWayAccuracyRK'],
      ['3-way D', 'threeWayAccuracyD'],
      ['TP acc RK', 'tieAccuracyRK'],
    ],
    tradeoff: {
      x: 'kl',
      y: 'reward',
      xAxis: { label: 'KL(policy ‖ reference)', unit: 'nats' },
      yAxis: { label: 'mean reward' },
    },
  },
  pairs: {
    curves: [
      'accuracy',
      'threeWayAccuracyRK',
      'threeWayAccuracyD',
      'clearMarginMean',
      'tieMarginStd',
      'heldOutLoss',
    ],
    table: [
      'accuracy',
      'threeWayAccuracyRK',
      'clearAccuracyRK',
      'tieAccuracyRK',
      'threeWayAccuracyD',
      'clearAccuracyD',
      'tieAccuracyD',
      'klSequence',
    ],
    text: [
      ['clear acc', 'accuracy'],
      ['3-way RK', 'threeWayAccuracyRK'],
      ['CP acc RK', 'clearAccuracyRK'],
      ['TP acc RK', 'tieAccuracyRK'],
      ['3-way D', 'threeWayAccuracyD'],
      ['CP acc D', 'clearAccuracyD'],
      ['TP acc D', 'tieAccuracyD'],
      ['KL', 'klSequence'],
    ],
    tradeoff: {
      x: 'klSequence',
      y: 'threeWayAccuracyRK',
      xAxis: { label: 'KL(policy ‖ reference)', unit: 'nats' },
      yAxis: { label: 'three-way accuracy (RK rule)' },
    },
  },
} as const;

function summaries(input: ComparisonInput): RunSummary[] {
  const runs: RunSummary[] = input.results.map((r) => {
    const curve = input.curves.get(r.plan.stage);
    const curves: RunSummary['curves'] = {};
    for (const name of LAYOUT[input.kind].curves) {
      const y = curve?.values[name];
      if (curve && y) curves[name] = { x: curve.steps, y: curve.steps.map((_, i) => y[i] ?? Number.NaN) };
    }
    return { name: r.plan.stage, method: r.plan.label, metrics: r.metrics, curves };
  });
  const reference = referenceMetrics(input);
  if (reference) runs.unshift({ name: 'reference', method: 'reference (step 0)', metrics: reference });
  return runs;
}

/** Reward against KL at every evaluated checkpoint, one line per variant in step order. */
function frontier(input: ComparisonInput): ReportSection {
  return {
    kind: 'lineChart',
    title:
      'Reward against KL(policy ‖ reference) across checkpoints (each line runs from step 0 to the last step)',
    x: { label: 'KL(policy ‖ reference)', unit: 'nats' },
    y: { label: 'mean reward (log-odds of positive sentiment)' },
    series: input.results.map((r) => {
      const curve = input.curves.get(r.plan.stage);
      return { name: r.plan.label, x: curve?.values.kl ?? [], y: curve?.values.reward ?? [] };
    }),
  };
}

function checkpointTable(input: ComparisonInput): ReportSection {
  const names =
    input.kind === 'steering'
      ? ['reward', 'kl', 'distinct', 'accuracy', 'threeWayAccuracyRK', 'threeWayAccuracyD']
      : ['accuracy', 'threeWayAccuracyRK', 'threeWayAccuracyD', 'heldOutLoss'];
  const rows = input.results.flatMap((r) => {
    const curve = input.curves.get(r.plan.stage);
    if (!curve) return [];
    return curve.steps.map((step, i) => [
      r.plan.label,
      step,
      ...names.map((n) => curve.values[n]?.[i] ?? null),
    ]);
  });
  return {
    kind: 'table',
    title: 'Held-out metrics at each checkpoint',
    columns: ['method', 'step', ...names],
    rows,
    digits: 3,
  };
}

function sampleSection(input: ComparisonInput, perVariant: number): ReportSection {
  return {
    kind: 'samples',
    title: 'Samples of the final policies on held-out prompts (reward, distinct-token ratio)',
    samples: input.results.flatMap((r) =>
      r.samples.slice(0, perVariant).map((s) => ({
        label: `${r.plan.label} - reward ${s.reward.toFixed(2)}, distinct ${s.distinct.toFixed(2)}`,
        text: `${s.prompt} | ${s.text}`,
      })),
    ),
  };
}

/** Builds the comparison page as a spec, for renderReport. */
export function comparisonSpec(input: ComparisonInput): ReportSpec {
  const layout = LAYOUT[input.kind];
  const base = buildComparison(summaries(input), {
    title: input.title,
    tradeoff: layout.tradeoff,
    metrics: [...layout.table],
    curves: [...layout.curves],
  });
  const [intro, methodTable, ...rest] = base.sections;
  const setup: ReportSection = { kind: 'text', title: 'Setup', text: input.setup.join('\n') };
  const reward: ReportSection[] = input.rewardReport
    ? [
        {
          kind: 'text',
          title: 'Sentiment reward',
          text:
            `Logistic regression over lowercase word counts, ${input.rewardReport.vocabulary} words, trained on ${input.rewardReport.trainSentences} labelled sentences: ` +
            `held-out accuracy ${input.rewardReport.heldOutAccuracy.toFixed(3)} on ${input.rewardReport.heldOutSentences} sentences (train ${input.rewardReport.trainAccuracy.toFixed(3)}).` +
            (input.rewardWords
              ? `\nMost positive words: ${input.rewardWords.positive.join(', ')}\nMost negative words: ${input.rewardWords.negative.join(', ')}`
              : ''),
        },
      ]
    : [];
  const steering = input.kind === 'steering';
  return {
    ...base,
    sections: [
      setup,
      intro,
      methodTable,
      ...(steering ? [frontier(input)] : []),
      ...rest,
      checkpointTable(input),
      ...reward,
      ...(steering ? [sampleSection(input, 4)] : []),
    ],
  };
}

export function renderComparisonPage(input: ComparisonInput): string {
  return renderReport(comparisonSpec(input));
}

/** Formats a fixed-point number: '-' when missing, and 0 for a value that would print as -0.000. */
function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return (Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value).toFixed(digits);
}

/** Formats the plain-text results table: final metrics per variant and the reference, then reward/KL per checkpoint. */
export function resultsTable(input: ComparisonInput): string {
  const columns = LAYOUT[input.kind].text;
  const header = ['method', ...columns.map(([title]) => title)];
  const names = columns.map(([, name]) => name as string);
  const rows: string[][] = [];
  const reference = referenceMetrics(input);
  if (reference)
    rows.push(['reference (step 0)', ...names.map((n) => (n === 'accuracy' ? '-' : fmt(reference[n])))]);
  for (const r of input.results) rows.push([r.plan.label, ...names.map((n) => fmt(r.metrics[n]))]);
  const lines = [input.title, ...input.setup.map((l) => `  ${l}`), '', ...alignRows([header, ...rows])];

  const steps = [...new Set(input.results.flatMap((r) => input.curves.get(r.plan.stage)?.steps ?? []))].sort(
    (a, b) => a - b,
  );
  if (steps.length > 1 && input.kind === 'steering') {
    lines.push('', 'reward / KL at each checkpoint:');
    const grid = [['method', ...steps.map((s) => `step ${s}`)]];
    for (const r of input.results) {
      const curve = input.curves.get(r.plan.stage);
      grid.push([
        r.plan.label,
        ...steps.map((s) => {
          const i = curve?.steps.indexOf(s) ?? -1;
          return curve && i >= 0
            ? `${fmt(curve.values.reward?.[i], 2)} / ${fmt(curve.values.kl?.[i], 2)}`
            : '-';
        }),
      ]);
    }
    lines.push(...alignRows(grid));
  }
  return `${lines.join('\n')}\n`;
}

/** Left-aligns the first column and right-aligns the others. */
function alignRows(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
  );
}
