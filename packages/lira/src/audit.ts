/**
 * The audit's numbers from a statistics matrix. It runs every attack on target model 0 as the
 * reference count grows, and leave-one-out over every model as target with all others as references.
 * It also builds the report sections: growth table, log-log ROC, AUC against reference count.
 */
import type { LineChartSection, ReportSection, TableSection } from '@lab/eval';
import {
  type AttackOptions,
  defaultVariance,
  fitGaussians,
  liraAttack,
  type VarianceMode,
} from './attacks.js';
import { type AttackMetrics, attackMetrics, rocSection } from './metrics.js';
import { mean, populationStd, referenceCodeOfflineScore } from './scores.js';

export const ATTACKS = ['online', 'offline', 'loss'] as const;
export type AttackName = (typeof ATTACKS)[number];

export interface AuditInput {
  /** stats[m][x]: statistic of model m on candidate x, higher = more member-like. */
  stats: number[][];
  keep: boolean[][];
  /** Reference counts of the growth table. */
  sweep: number[];
  location: AttackOptions['location'];
  /** 'auto' picks global below 64 references. */
  variance: VarianceMode | 'auto';
}

export interface GrowthRow {
  references: number;
  variance: VarianceMode;
  attack: AttackName;
  metrics: AttackMetrics;
}

export interface AuditResult {
  growth: GrowthRow[];
  /** Mean and std over targets of AUC and TPR@1%, each target against all other models. */
  leaveOneOut: {
    attack: AttackName;
    auc: [number, number];
    tpr1: [number, number];
    tpr10: [number, number];
    targets: number;
  }[];
  /** Variants at the largest reference count, for comparison with the defaults. */
  variants: { name: string; metrics: AttackMetrics }[];
}

function varianceFor(input: AuditInput, references: number): VarianceMode {
  return input.variance === 'auto' ? defaultVariance(references) : input.variance;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export function runAudit(input: AuditInput): AuditResult {
  const models = input.stats.length;
  const growth: GrowthRow[] = [];
  for (const n of input.sweep.filter((s) => s >= 1 && s < models)) {
    const variance = varianceFor(input, n);
    const scores = liraAttack(input.stats, input.keep, 0, range(1, n + 1), {
      location: input.location,
      variance,
    });
    for (const attack of ATTACKS)
      growth.push({ references: n, variance, attack, metrics: attackMetrics(scores[attack], scores.labels) });
  }

  const perTarget: Record<AttackName, AttackMetrics[]> = { online: [], offline: [], loss: [] };
  const variance = varianceFor(input, models - 1);
  for (let target = 0; target < models; target++) {
    const refs = range(0, models).filter((m) => m !== target);
    const scores = liraAttack(input.stats, input.keep, target, refs, { location: input.location, variance });
    for (const attack of ATTACKS) perTarget[attack].push(attackMetrics(scores[attack], scores.labels));
  }
  const spread = (values: number[]): [number, number] => [mean(values), populationStd(values)];
  const leaveOneOut = ATTACKS.map((attack) => ({
    attack,
    auc: spread(perTarget[attack].map((m) => m.auc)),
    tpr1: spread(perTarget[attack].map((m) => m.tprAt[1].tpr)),
    tpr10: spread(perTarget[attack].map((m) => m.tprAt[2].tpr)),
    targets: models,
  }));

  const refs = range(1, models);
  const otherVariance: VarianceMode = variance === 'global' ? 'per-example' : 'global';
  const other = liraAttack(input.stats, input.keep, 0, refs, {
    location: input.location,
    variance: otherVariance,
  });
  const median = liraAttack(input.stats, input.keep, 0, refs, { location: 'median', variance });
  const g = fitGaussians(input.stats, input.keep, refs, { location: 'median', variance });
  const codeOffline = input.stats[0].map((o, x) => referenceCodeOfflineScore(o, g.muOut[x], g.stdOut[x]));
  const variants = [
    { name: `online, ${otherVariance} variance`, metrics: attackMetrics(other.online, other.labels) },
    { name: `offline, ${otherVariance} variance`, metrics: attackMetrics(other.offline, other.labels) },
    { name: 'online, median location', metrics: attackMetrics(median.online, median.labels) },
    {
      name: 'offline, reference-code two-sided -log N (not the pinned statistic)',
      metrics: attackMetrics(codeOffline, median.labels),
    },
  ];
  return { growth, leaveOneOut, variants };
}

/** Collects the scalar metrics of eval.json: each attack at the largest reference count of the growth table. */
export function auditMetrics(result: AuditResult): Record<string, number> {
  const largest = Math.max(...result.growth.map((r) => r.references));
  const out: Record<string, number> = {};
  for (const row of result.growth.filter((r) => r.references === largest)) {
    out[`auc_${row.attack}`] = row.metrics.auc;
    for (const { fpr, tpr } of row.metrics.tprAt) out[`tpr_at_fpr_${fpr}_${row.attack}`] = tpr;
  }
  out.references = largest;
  out.nonMembers = result.growth[0]?.metrics.nonMembers ?? 0;
  for (const l of result.leaveOneOut) out[`auc_${l.attack}_loo_mean`] = l.auc[0];
  return out;
}

export function auditSections(result: AuditResult): ReportSection[] {
  const nonMembers = result.growth[0]?.metrics.nonMembers ?? 0;
  const table: TableSection = {
    kind: 'table',
    title: `Target model 0 as references grow (TPR at FPR strictly below the level; ${nonMembers} non-members, so TPR@0.1% rests on ${Math.floor(nonMembers * 0.001)} false positives at most)`,
    columns: ['references', 'variance', 'attack', 'AUC', 'TPR@0.1%', 'TPR@1%', 'TPR@10%'],
    rows: result.growth.map((r) => [
      r.references,
      r.variance,
      r.attack,
      r.metrics.auc,
      ...r.metrics.tprAt.map((t) => t.tpr),
    ]),
  };
  const loo: TableSection = {
    kind: 'table',
    title: 'Leave-one-out: every model as target, all others as references (mean ± std over targets)',
    columns: ['attack', 'targets', 'AUC mean', 'AUC std', 'TPR@1% mean', 'TPR@10% mean'],
    rows: result.leaveOneOut.map((l) => [l.attack, l.targets, l.auc[0], l.auc[1], l.tpr1[0], l.tpr10[0]]),
  };
  const variants: TableSection = {
    kind: 'table',
    title: 'Variants at the largest reference count (target model 0)',
    columns: ['variant', 'AUC', 'TPR@0.1%', 'TPR@1%', 'TPR@10%'],
    rows: result.variants.map((v) => [v.name, v.metrics.auc, ...v.metrics.tprAt.map((t) => t.tpr)]),
  };
  const largest = Math.max(...result.growth.map((r) => r.references));
  const roc = rocSection(
    `ROC of target model 0 with ${largest} references (log-log)`,
    result.growth
      .filter((r) => r.references === largest)
      .map((r) => ({ label: r.attack, metrics: r.metrics })),
  );
  const growthChart: LineChartSection = {
    kind: 'lineChart',
    title: 'AUC against the number of reference models',
    x: { label: 'reference models', scale: 'log' },
    y: { label: 'AUC' },
    series: (['online', 'offline', 'loss'] as const).map((attack) => {
      const rows = result.growth.filter((r) => r.attack === attack);
      return { name: attack, x: rows.map((r) => r.references), y: rows.map((r) => r.metrics.auc) };
    }),
  };
  return [table, roc, growthChart, loo, variants];
}
