// ROC, AUC and TPR at low FPR through @lab/eval as the attacks use them: the spec's T5 vector,
// the B15 outlier case, separable and random scores, and invariance to monotone transforms.
import { balancedAccuracy, rocCurve, tprAtFpr } from '@lab/eval';
import { describe, expect, it } from 'vitest';
import { attackMetrics, rocSection } from '../src/index.js';

function labelled(members: number[], nonMembers: number[]) {
  return {
    scores: [...members, ...nonMembers],
    labels: [...members.map(() => true), ...nonMembers.map(() => false)],
  };
}

/** Returns a seeded uniform stream (mulberry32), independent of the code under test. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ROC metrics T5', () => {
  const { scores, labels } = labelled([3.1, 2.0, 0.5, -1.0], [2.5, 0.2, -0.3, -2.0]);
  const m = attackMetrics(scores, labels);

  it('AUC is 0.6875', () => {
    // Pairs where the member wins: 3.1 beats 4, 2.0 beats 3, 0.5 beats 2, -1.0 beats 1: 11 / 16.
    expect(m.auc).toBeCloseTo(0.6875, 12);
  });
  it('every ROC point is kept', () => {
    const points = m.curve.points.map((p) => [p.fpr, p.tpr]);
    expect(points).toEqual([
      [0, 0],
      [0, 0.25],
      [0.25, 0.25],
      [0.25, 0.5],
      [0.25, 0.75],
      [0.5, 0.75],
      [0.75, 0.75],
      [0.75, 1],
      [1, 1],
    ]);
  });
  it('strict and non-strict TPR differ', () => {
    expect(tprAtFpr(m.curve, 0.25, { strict: true }).tpr).toBe(0.25);
    expect(tprAtFpr(m.curve, 0.25, { strict: false }).tpr).toBe(0.75);
  });
  it('balanced accuracy is 0.75', () => {
    expect(balancedAccuracy(m.curve)).toBeCloseTo(0.75, 12);
  });
  it('report section has one curve per attack', () => {
    const section = rocSection('roc', [{ label: 'online', metrics: m }]);
    expect(section.kind).toBe('roc');
    expect(section.curves[0].fpr).toHaveLength(9);
  });
});

describe('ROC exact and monotone invariant B15', () => {
  const members = [1.0, 1.1, 1.2, 1000.0];
  const nonMembers = [0.9, 1.05, 1.15, 0.95];

  it('outlier does not squeeze the curve', () => {
    const { scores, labels } = labelled(members, nonMembers);
    const m = attackMetrics(scores, labels);
    // Member wins: 1.0 beats 2, 1.1 beats 3, 1.2 beats 4, 1000 beats 4: 13 / 16.
    expect(m.auc).toBeCloseTo(0.8125, 12);
    expect(tprAtFpr(m.curve, 0, { strict: false }).tpr).toBe(0.5);
  });

  it('monotone transforms leave the ROC unchanged', () => {
    const { scores, labels } = labelled(members, nonMembers);
    const base = attackMetrics(scores, labels);
    for (const f of [
      (s: number) => Math.log(s),
      (s: number) => 3 * s - 7,
      (s: number) => Math.atan(s),
      (s: number) => s ** 3,
    ]) {
      const moved = attackMetrics(scores.map(f), labels);
      expect(moved.auc).toBe(base.auc);
      expect(moved.curve.points.map((p) => [p.fpr, p.tpr])).toEqual(
        base.curve.points.map((p) => [p.fpr, p.tpr]),
      );
      expect(moved.tprAt.map((t) => t.tpr)).toEqual(base.tprAt.map((t) => t.tpr));
    }
  });

  it('all tied scores give 0.5', () => {
    const { scores, labels } = labelled([2, 2, 2], [2, 2]);
    expect(attackMetrics(scores, labels).auc).toBe(0.5);
  });
});

describe('AUC extremes', () => {
  it('separable scores give 1', () => {
    const { scores, labels } = labelled([5, 6, 7, 8], [1, 2, 3, 4]);
    const m = attackMetrics(scores, labels);
    expect(m.auc).toBe(1);
    expect(m.tprAt[0].tpr).toBe(1);
  });
  it('reversed scores give 0', () => {
    const { scores, labels } = labelled([1, 2], [3, 4]);
    expect(attackMetrics(scores, labels).auc).toBe(0);
  });
  it('random scores give about 0.5', () => {
    const draw = uniform(7);
    const n = 4000;
    const scores = Array.from({ length: 2 * n }, draw);
    const labels = scores.map((_, i) => i < n);
    // The std of the AUC under the null is sqrt((2n + 1) / (12 n^2)) ~ 0.0065; allow 4 of them.
    expect(Math.abs(attackMetrics(scores, labels).auc - 0.5)).toBeLessThan(0.026);
  });
  it('mismatched labels are rejected', () => {
    expect(() => attackMetrics([1, 2], [true])).toThrow(/labels.length = 1/);
  });
  it('eval rocCurve agrees with attackMetrics', () => {
    const { scores, labels } = labelled([3, 1], [2, 0]);
    expect(attackMetrics(scores, labels).curve).toEqual(rocCurve([3, 1], [2, 0]));
  });
});
