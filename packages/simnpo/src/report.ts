/**
 * The evaluation a `simnpo` run reports: final forget quality and model utility per algorithm, a table
 * next to the fine-tuned and retain-only models, and forget quality against model utility over the
 * unlearning steps (one curve per algorithm, starting at the fine-tuned model).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EvalResult, MethodContext, MethodPlot } from '@lab/trainer';
import type { SimNpoConfig } from './config.js';
import { UnlearningConfigError } from './errors.js';
import type { TofuMetrics } from './evaluate.js';
import { RESULTS_FILE, type TofuResults } from './method.js';

/** Returns the last point of each algorithm's history. */
export function finalPoints(results: TofuResults): Map<string, { step: number; metrics: TofuMetrics }> {
  const out = new Map<string, { step: number; metrics: TofuMetrics }>();
  for (const p of results.history) {
    const prev = out.get(p.algorithm);
    if (!prev || p.step >= prev.step) out.set(p.algorithm, { step: p.step, metrics: p.metrics });
  }
  return out;
}

function row(name: string, m: TofuMetrics): (string | number)[] {
  return [name, m.forgetQuality, m.modelUtility, m.retainUtility, m.forgetProb, m.forgetRougeL, m.retainProb, m.retainRougeL];
}

export function resultPlots(results: TofuResults): MethodPlot[] {
  const finals = finalPoints(results);
  const algorithms = [...finals.keys()];
  const curve = (a: string, x: (m: TofuMetrics) => number, y: (m: TofuMetrics) => number) => {
    const points = results.history.filter((p) => p.algorithm === a).sort((p, q) => p.step - q.step);
    return { name: a, x: points.map((p) => x(p.metrics)), y: points.map((p) => y(p.metrics)) };
  };
  const steps = (a: string, y: (m: TofuMetrics) => number) => {
    const points = results.history.filter((p) => p.algorithm === a).sort((p, q) => p.step - q.step);
    return { name: a, x: points.map((p) => p.step), y: points.map((p) => y(p.metrics)) };
  };
  return [
    {
      kind: 'table',
      title: 'TOFU forget10: final metrics (higher is better for FQ and utility)',
      columns: ['model', 'forget quality', 'model utility', 'retain utility', 'forget prob', 'forget ROUGE-L', 'retain prob', 'retain ROUGE-L'],
      rows: [
        row('fine-tuned (before unlearning)', results.fineTuned),
        row('retain-only (gold)', results.retainOnly),
        ...algorithms.map((a) => row(`${a} @ step ${finals.get(a)?.step}`, finals.get(a)!.metrics)),
      ],
    },
    {
      kind: 'lineChart',
      title: 'Forget quality against retain-set utility over unlearning steps',
      x: { label: 'retain utility' },
      y: { label: 'forget quality (KS p-value)', scale: 'log' },
      series: algorithms.map((a) => curve(a, (m) => m.retainUtility, (m) => m.forgetQuality)),
    },
    {
      kind: 'lineChart',
      title: 'Forget quality against TOFU model utility (9-way harmonic mean) over unlearning steps',
      x: { label: 'model utility' },
      y: { label: 'forget quality (KS p-value)', scale: 'log' },
      series: algorithms.map((a) => curve(a, (m) => m.modelUtility, (m) => m.forgetQuality)),
    },
    {
      kind: 'lineChart',
      title: 'Forget-set answer probability over unlearning steps',
      x: { label: 'step' },
      y: { label: 'mean exp(-avg NLL)' },
      series: algorithms.map((a) => steps(a, (m) => m.forgetProb)),
    },
  ];
}

export function readResults(path: string): TofuResults {
  if (!existsSync(path)) {
    throw new UnlearningConfigError('run directory', path, 'has no unlearning results; run `lab train simnpo` (or the demo) to the end first');
  }
  return JSON.parse(readFileSync(path, 'utf8')) as TofuResults;
}

export async function tofuReport(ctx: MethodContext<SimNpoConfig>): Promise<EvalResult> {
  const results = readResults(ctx.run.path(RESULTS_FILE));
  const metrics: Record<string, number> = { startForgetNll: results.startForgetNll };
  for (const [a, { metrics: m }] of finalPoints(results)) {
    metrics[`${a}.forgetQuality`] = m.forgetQuality;
    metrics[`${a}.modelUtility`] = m.modelUtility;
    metrics[`${a}.retainUtility`] = m.retainUtility;
    metrics[`${a}.forgetProb`] = m.forgetProb;
  }
  metrics['fineTuned.forgetQuality'] = results.fineTuned.forgetQuality;
  metrics['fineTuned.retainUtility'] = results.fineTuned.retainUtility;
  metrics['retainOnly.retainUtility'] = results.retainOnly.retainUtility;
  return { metrics, plots: resultPlots(results), details: { objectives: results.objectives, seconds: results.seconds } };
}
