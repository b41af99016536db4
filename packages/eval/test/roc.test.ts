import { describe, expect, it } from 'vitest';
import { auc, balancedAccuracy, MetricInputError, rocCurve, splitByLabel, tprAtFpr } from '../src/index.js';

// A tiny linear congruential generator, separate from the package's own, for random test data.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// Pairwise Mann-Whitney count, O(n m): the definition itself.
function bruteAuc(pos: number[], neg: number[]): number {
  let wins = 0;
  for (const p of pos) {
    for (const n of neg) {
      if (p > n) wins += 1;
      else if (p === n) wins += 0.5;
    }
  }
  return wins / (pos.length * neg.length);
}

// Trapezoid area under the exact curve; ties make diagonal steps, which the trapezoid counts half.
function trapezoid(points: { fpr: number; tpr: number }[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += ((points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr)) / 2;
  }
  return area;
}

const rates = (c: { points: { fpr: number; tpr: number }[] }) => c.points.map((p) => [p.fpr, p.tpr]);

describe('ROC with an outlier score', () => {
  // One member scores 1000: a linspace of thresholds between min and max would squeeze every other
  // score into one bin. Hand count: members beat non-members in 2 + 3 + 4 + 4 = 13 of 16 pairs.
  const members = [1.0, 1.1, 1.2, 1000.0];
  const nonMembers = [0.9, 1.05, 1.15, 0.95];

  it('auc is the exact 13/16', () => {
    expect(auc(members, nonMembers)).toBeCloseTo(0.8125, 12);
  });

  it('tpr at zero fpr is one half', () => {
    // Sorted: 1000 (m), 1.2 (m), 1.15 (n): two members pass before the first non-member.
    const result = tprAtFpr(rocCurve(members, nonMembers), 0, { strict: false });
    expect(result.tpr).toBe(0.5);
    expect(result.fpr).toBe(0);
    expect(result.threshold).toBe(1.2);
    expect(result.condition).toBe('FPR <= 0');
  });

  it('curve is invariant under increasing transforms', () => {
    const base = rates(rocCurve(members, nonMembers));
    for (const f of [Math.log, (v: number) => v ** 3, Math.atan, (v: number) => -1 / v]) {
      const c = rocCurve(members.map(f), nonMembers.map(f));
      expect(rates(c)).toEqual(base);
      expect(auc(members.map(f), nonMembers.map(f))).toBeCloseTo(0.8125, 12);
    }
  });

  it('curve has one point per distinct score', () => {
    expect(rocCurve(members, nonMembers).points.length).toBe(8 + 1);
  });
});

describe('ROC reference example', () => {
  // members [3.1, 2.0, 0.5, -1.0], non-members [2.5, 0.2, -0.3, -2.0]; AUC 11/16 by pairwise count.
  const pos = [3.1, 2.0, 0.5, -1.0];
  const neg = [2.5, 0.2, -0.3, -2.0];
  const curve = rocCurve(pos, neg);

  it('curve keeps every operating point', () => {
    expect(rates(curve)).toEqual([
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

  it('auc matches the pairwise count', () => {
    expect(auc(pos, neg)).toBeCloseTo(0.6875, 12);
  });

  it('strict tpr excludes the point on the target', () => {
    const strict = tprAtFpr(curve, 0.25, { strict: true });
    expect(strict.tpr).toBe(0.25);
    expect(strict.strict).toBe(true);
    expect(strict.condition).toBe('FPR < 0.25');
  });

  it('non-strict tpr includes the point on the target', () => {
    const loose = tprAtFpr(curve, 0.25, { strict: false });
    expect(loose.tpr).toBe(0.75);
    expect(loose.fpr).toBe(0.25);
    expect(loose.threshold).toBe(0.5);
  });

  it('balanced accuracy is three quarters', () => {
    expect(balancedAccuracy(curve)).toBeCloseTo(0.75, 12);
  });
});

describe('ROC edge cases', () => {
  it('all tied scores give auc one half', () => {
    expect(auc([0.3, 0.3, 0.3], [0.3, 0.3])).toBe(0.5);
    expect(rates(rocCurve([0.3, 0.3, 0.3], [0.3, 0.3]))).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('separable scores give auc one', () => {
    expect(auc([5, 6, 7], [1, 2, 3, 4])).toBe(1);
    expect(tprAtFpr(rocCurve([5, 6, 7], [1, 2, 3, 4]), 0.01, { strict: true }).tpr).toBe(1);
  });

  it('reversed scores give auc zero', () => {
    expect(auc([1, 2], [3, 4])).toBe(0);
  });

  it('ties move fpr and tpr together', () => {
    // One positive and one negative share 0.5: the curve jumps diagonally from (0, 0.5) to (0.5, 1).
    const c = rocCurve([0.9, 0.5], [0.5, 0.1]);
    expect(rates(c)).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    expect(auc([0.9, 0.5], [0.5, 0.1])).toBe(0.875); // (1 + 1 + 0.5 + 1) / 4
  });

  it('infinite scores are ranked', () => {
    expect(auc([Number.POSITIVE_INFINITY, 0], [Number.NEGATIVE_INFINITY, 1])).toBe(0.75);
  });

  it('typed arrays are accepted', () => {
    expect(auc(new Float32Array([1, 2]), new Float64Array([0, 3]))).toBe(0.5);
  });
});

describe('ROC against brute force', () => {
  it('auc equals pairwise count with many ties', () => {
    const rand = lcg(7);
    for (let trial = 0; trial < 20; trial++) {
      const pos = Array.from({ length: 5 + trial }, () => Math.floor(rand() * 6));
      const neg = Array.from({ length: 3 + 2 * trial }, () => Math.floor(rand() * 6) - 1);
      expect(auc(pos, neg)).toBeCloseTo(bruteAuc(pos, neg), 12);
      expect(trapezoid(rocCurve(pos, neg).points)).toBeCloseTo(bruteAuc(pos, neg), 12);
    }
  });

  it('tpr at fpr matches threshold count', () => {
    // For each threshold t, TPR(t) = #pos >= t / n_pos; pick the best t with FPR(t) under 0.2.
    const rand = lcg(11);
    const pos = Array.from({ length: 40 }, () => rand() + 0.3);
    const neg = Array.from({ length: 50 }, () => rand());
    for (const strict of [true, false]) {
      let best = 0;
      for (const t of [...pos, ...neg]) {
        const fpr = neg.filter((v) => v >= t).length / neg.length;
        const tpr = pos.filter((v) => v >= t).length / pos.length;
        if ((strict ? fpr < 0.2 : fpr <= 0.2) && tpr > best) best = tpr;
      }
      expect(tprAtFpr(rocCurve(pos, neg), 0.2, { strict }).tpr).toBe(best);
    }
  });
});

describe('ROC input checks', () => {
  it('nan score is rejected', () => {
    expect(() => auc([1, Number.NaN], [0])).toThrow(MetricInputError);
    expect(() => rocCurve([1], [Number.NaN])).toThrow(/negatives\[0\]/);
  });

  it('empty class is rejected', () => {
    expect(() => auc([], [1])).toThrow(/positives.length/);
  });

  it('strict tpr at zero fpr is rejected', () => {
    expect(() => tprAtFpr(rocCurve([1], [0]), 0, { strict: true })).toThrow(/strict: false/);
  });

  it('missing strict flag is rejected', () => {
    const call = () => tprAtFpr(rocCurve([1], [0]), 0.1, {} as { strict: boolean });
    expect(call).toThrow(MetricInputError);
  });

  it('split by label sorts scores', () => {
    expect(splitByLabel([0.1, 0.9, 0.4], [0, 1, true])).toEqual({ positives: [0.9, 0.4], negatives: [0.1] });
    expect(() => splitByLabel([1], [2])).toThrow(/labels\[0\]/);
  });
});
