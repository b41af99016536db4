/**
 * Attack metrics through @lab/eval: the exact rank-based ROC (every distinct score is a threshold),
 * AUC as the Mann-Whitney statistic (ties count one half), and TPR at FPR 0.1%, 1% and 10% with the
 * LiRA reference code's strict rule: the best operating point with FPR < η.
 */
import { auc, type RocCurve, type RocSection, rocCurve, tprAtFpr } from '@lab/eval';
import { LiraInputError } from './errors.js';

export const FPR_LEVELS = [0.001, 0.01, 0.1] as const;

export interface AttackMetrics {
  auc: number;
  /** TPR with FPR strictly below 0.1%, 1% and 10%. */
  tprAt: { fpr: number; tpr: number }[];
  members: number;
  nonMembers: number;
  curve: RocCurve;
}

/** Splits scores by membership (members are the positives). */
export function splitScores(
  scores: readonly number[],
  labels: readonly boolean[],
): { members: number[]; nonMembers: number[] } {
  if (scores.length !== labels.length)
    throw new LiraInputError(
      'splitScores',
      'labels.length',
      labels.length,
      `must equal scores.length (${scores.length})`,
    );
  const members: number[] = [];
  const nonMembers: number[] = [];
  for (const [i, s] of scores.entries()) {
    if (labels[i]) members.push(s);
    else nonMembers.push(s);
  }
  return { members, nonMembers };
}

export function attackMetrics(scores: readonly number[], labels: readonly boolean[]): AttackMetrics {
  const { members, nonMembers } = splitScores(scores, labels);
  const curve = rocCurve(members, nonMembers);
  return {
    auc: auc(members, nonMembers),
    tprAt: FPR_LEVELS.map((fpr) => ({ fpr, tpr: tprAtFpr(curve, fpr, { strict: true }).tpr })),
    members: members.length,
    nonMembers: nonMembers.length,
    curve,
  };
}

/** Builds a log-log ROC section for the run report, one curve per attack. */
export function rocSection(title: string, curves: { label: string; metrics: AttackMetrics }[]): RocSection {
  return {
    kind: 'roc',
    title,
    curves: curves.map(({ label, metrics }) => ({
      name: label,
      fpr: metrics.curve.points.map((p) => p.fpr),
      tpr: metrics.curve.points.map((p) => p.tpr),
      auc: metrics.auc,
    })),
  };
}
