import { describe, expect, it } from 'vitest';
import {
  acceptanceStats,
  accuracy,
  exactMatch,
  expectedTokensPerCall,
  implicitRewards,
  klEstimate,
  MetricInputError,
  normalizeAnswer,
  outcomesFromScores,
  perplexity,
  predictPairLabel,
  preferenceAccuracy,
  preferenceMetrics,
  threeWayClassification,
  winRate,
} from '../src/index.js';

describe('accuracy', () => {
  it('accuracy counts equal positions', () => {
    expect(accuracy([1, 0, 2, 2], [1, 1, 2, 0])).toBe(0.5);
  });

  it('accuracy rejects length mismatch', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(/predicted.length = 2/);
  });
});

describe('exact match', () => {
  const predictions = ['The Cat!', 'dog', '42'];
  const references = ['cat', ['hound', 'Dog'], '41'];

  it('exact match compares raw strings by default', () => {
    expect(exactMatch(predictions, references).accuracy).toBe(0);
  });

  it('exact match applies the normalizer', () => {
    const result = exactMatch(predictions, references, { normalize: normalizeAnswer });
    expect(result.correct).toBe(2);
    expect(result.accuracy).toBeCloseTo(2 / 3, 15);
    expect(result.perExample).toEqual([1, 1, 0]);
  });

  it('normalize answer strips articles and punctuation', () => {
    expect(normalizeAnswer('  The  answer: is, an Apple. ')).toBe('answer is apple');
  });
});

describe('perplexity', () => {
  it('perplexity pools tokens across sequences', () => {
    // NLL sums 1 and 6 nats over 1 and 3 tokens: exp(7 / 4), not the mean of e^1 and e^2.
    expect(perplexity([1, 6], [1, 3])).toBeCloseTo(Math.exp(1.75), 12);
  });

  it('perplexity accepts pre-summed scalars', () => {
    expect(perplexity(Math.log(8) * 5, 5)).toBeCloseTo(8, 12);
  });

  it('perplexity rejects zero tokens', () => {
    expect(() => perplexity([0], [0])).toThrow(MetricInputError);
  });
});

describe('win rate', () => {
  const outcomes = ['win', 'win', 'draw', 'loss'] as const;

  it('win rate counts draws half', () => {
    const r = winRate([...outcomes]);
    expect(r.winRate).toBe(0.625); // (2 + 0.5) / 4
    expect(r.counted).toBe(4);
    expect(r.drawHandling).toBe('half');
  });

  it('win rate can exclude draws', () => {
    const r = winRate([...outcomes], { draws: 'exclude' });
    expect(r.winRate).toBeCloseTo(2 / 3, 15);
    expect(r.counted).toBe(3);
  });

  it('outcomes from scores use the tolerance', () => {
    expect(outcomesFromScores([1, 0.5, 0.2], [0.5, 0.5, 0.25])).toEqual(['win', 'draw', 'loss']);
    expect(outcomesFromScores([1, 0.5, 0.2], [0.5, 0.5, 0.25], 0.1)).toEqual(['win', 'draw', 'draw']);
  });
});

describe('preference metrics', () => {
  // Sequence log-probs are token sums: policy y_w -1.2 - 0.7 - 0.3 = -2.2, y_l -0.9 - 1.5 = -2.4;
  // reference y_w -1.0 - 0.8 - 0.35 = -2.15, y_l -1.1 - 1.2 = -2.3. With beta 0.5:
  // r_w = 0.5 * (-0.05) = -0.025, r_l = 0.5 * (-0.1) = -0.05, d = 0.025.
  const one = {
    policyChosen: [-2.2],
    policyRejected: [-2.4],
    referenceChosen: [-2.15],
    referenceRejected: [-2.3],
  };

  it('implicit rewards follow the dpo definition', () => {
    const r = implicitRewards(one, 0.5);
    expect(r.chosen[0]).toBeCloseTo(-0.025, 12);
    expect(r.rejected[0]).toBeCloseTo(-0.05, 12);
    expect(r.margins[0]).toBeCloseTo(0.025, 12);
  });

  it('preference accuracy counts zero margins wrong', () => {
    expect(preferenceAccuracy([0.3, -0.1, 0, 2])).toBe(0.5);
  });

  it('preference metrics summarize margins', () => {
    // beta 1: margins (0 - -1) - (0 - 0) = 1, (-1 - 0) - (-2 - -2) = -1, (0 - -3) - (0 - 0) = 3.
    const m = preferenceMetrics(
      {
        policyChosen: [0, -1, 0],
        referenceChosen: [-1, 0, -3],
        policyRejected: [0, -2, 0],
        referenceRejected: [0, -2, 0],
      },
      1,
    );
    expect(m.accuracy).toBeCloseTo(2 / 3, 15);
    expect(m.marginMean).toBeCloseTo(1, 12);
    expect(m.marginStd).toBeCloseTo(2, 12); // deviations 0, -2, 2: sqrt(8 / 2)
    expect(m.chosenRewardMean).toBeCloseTo(1, 12); // (1 - 1 + 3) / 3
    expect(m.rejectedRewardMean).toBe(0);
  });

  it('implicit rewards reject a bad beta', () => {
    expect(() => implicitRewards(one, 0)).toThrow(/beta/);
  });
});

describe('three-way classification', () => {
  const rk = Math.log(7 / 3); // Rao-Kupper argmax boundary at nu = 3
  const davidson = 2 * Math.log(2); // Davidson boundary at nu = 1
  const d = [-2, -1.2, -0.8, 0, 0.8, 0.85, 1.2, 1.4, 2];

  it('rao-kupper boundary labels the table', () => {
    const expected = ['loss', 'loss', 'tie', 'tie', 'tie', 'win', 'win', 'win', 'win'];
    expect(d.map((x) => predictPairLabel(x, rk))).toEqual(expected);
  });

  it('davidson boundary labels the table', () => {
    const expected = ['loss', 'tie', 'tie', 'tie', 'tie', 'tie', 'tie', 'win', 'win'];
    expect(d.map((x) => predictPairLabel(x, davidson))).toEqual(expected);
  });

  it('boundary itself is not a tie', () => {
    expect(predictPairLabel(0.5, 0.5)).toBe('win');
    expect(predictPairLabel(-0.5, 0.5)).toBe('loss');
  });

  it('classification scores all three classes', () => {
    // threshold 0.5; predictions: win, tie, loss, tie, win, loss.
    const margins = [1.0, 0.2, -0.7, -0.1, 0.6, -2];
    const labels = ['win', 'win', 'loss', 'tie', 'tie', 'win'] as const;
    const r = threeWayClassification(margins, [...labels], { tieThreshold: 0.5 });
    expect(r.accuracy).toBe(0.5); // hits: 0, 2, 3
    expect(r.clearAccuracy).toBe(0.75); // clear labels 0, 1, 2, 5 predicted clear: 0, 2, 5
    expect(r.tieAccuracy).toBe(0.5); // tie labels 3, 4: hit 3
    expect(r.confusion.win).toEqual({ win: 1, loss: 1, tie: 1 });
    expect(r.confusion.tie).toEqual({ win: 1, loss: 0, tie: 1 });
  });

  it('classification rejects a zero threshold', () => {
    expect(() => threeWayClassification([1], ['win'], { tieThreshold: 0 })).toThrow(/tieThreshold/);
  });
});

describe('kl estimate', () => {
  const policy = [[-1, -2], [-0.5]];
  const reference = [[-1.5, -1.0], [-0.7]];

  it('k1 sums log ratios per sequence', () => {
    // per token: 0.5, -1.0 | 0.2 -> sums -0.5 and 0.2.
    const kl = klEstimate(policy, reference);
    expect(kl.perSequence[0]).toBeCloseTo(-0.5, 12);
    expect(kl.perSequence[1]).toBeCloseTo(0.2, 12);
    expect(kl.sequence).toBeCloseTo(-0.15, 12);
    expect(kl.token).toBeCloseTo(-0.1, 12); // -0.3 over 3 tokens
    expect(kl.tokens).toBe(3);
  });

  it('k3 uses exp r minus one minus r', () => {
    // r = ref - pol = -0.5, 1.0 | -0.2.
    const k3 = (r: number) => Math.exp(r) - 1 - r;
    const kl = klEstimate(policy, reference, { estimator: 'k3' });
    expect(kl.perSequence[0]).toBeCloseTo(k3(-0.5) + k3(1), 12);
    expect(kl.perSequence[1]).toBeCloseTo(k3(-0.2), 12);
    expect(kl.estimator).toBe('k3');
  });

  it('both estimators are unbiased on exact frequencies', () => {
    // p = [0.6, 0.3, 0.1], q = [0.3, 0.5, 0.2]; tokens drawn 6:3:1 reproduce E_p exactly.
    // KL(p || q) = 0.6 ln 2 + 0.3 ln 0.6 + 0.1 ln 0.5 = 0.193326.
    const p = [0.6, 0.3, 0.1];
    const q = [0.3, 0.5, 0.2];
    const pol: number[][] = [];
    const ref: number[][] = [];
    [6, 3, 1].forEach((copies, v) => {
      for (let c = 0; c < copies; c++) {
        pol.push([Math.log(p[v])]);
        ref.push([Math.log(q[v])]);
      }
    });
    const exact = 0.6 * Math.log(2) + 0.3 * Math.log(0.6) + 0.1 * Math.log(0.5);
    expect(exact).toBeCloseTo(0.193326, 6);
    expect(klEstimate(pol, ref).sequence).toBeCloseTo(exact, 12);
    expect(klEstimate(pol, ref, { estimator: 'k3' }).sequence).toBeCloseTo(exact, 12);
  });

  it('k3 stays accurate for nearly equal models', () => {
    // exp(r) - 1 - r = r^2 / 2 + r^3 / 6 + O(r^4); at r = 1e-9, expm1(r) - r is off by ~1e-7 relative.
    const r = 1e-9;
    const kl = klEstimate([[0]], [[r]], { estimator: 'k3' });
    expect(kl.sequence / (r ** 2 / 2 + r ** 3 / 6)).toBeCloseTo(1, 12);
  });

  it('kl rejects infinite log ratios', () => {
    expect(() => klEstimate([[-1]], [[Number.NEGATIVE_INFINITY]])).toThrow(/infinite/);
  });
});

describe('speculative decoding counters', () => {
  it('acceptance stats pool the iterations', () => {
    // gamma 4, accepted 4, 2, 0: A = 6, R = 2, emitted 5 + 3 + 1 = 9.
    const s = acceptanceStats([
      { proposed: 4, accepted: 4 },
      { proposed: 4, accepted: 2 },
      { proposed: 4, accepted: 0 },
    ]);
    expect(s.accepted).toBe(6);
    expect(s.rejections).toBe(2);
    expect(s.acceptanceRate).toBe(0.5);
    expect(s.blockAcceptanceRate).toBe(0.75);
    expect(s.tokensPerTargetCall).toBe(3);
  });

  it('acceptance stats honour an early stop', () => {
    const s = acceptanceStats([{ proposed: 4, accepted: 3, emitted: 2 }]);
    expect(s.emitted).toBe(2);
    expect(s.tokensPerTargetCall).toBe(2);
  });

  it('acceptance stats reject more accepted than proposed', () => {
    expect(() => acceptanceStats([{ proposed: 2, accepted: 3 }])).toThrow(/accepted/);
  });

  it('expected tokens per call follow the geometric sum', () => {
    // 1 + a + a^2 + ... + a^gamma.
    expect(expectedTokensPerCall(0.7, 4)).toBeCloseTo(1 + 0.7 + 0.49 + 0.343 + 0.2401, 12);
    expect(expectedTokensPerCall(0.7, 4)).toBeCloseTo(2.7731, 12);
    expect(expectedTokensPerCall(0.5, 4)).toBeCloseTo(1.9375, 12);
    expect(expectedTokensPerCall(0.8, 5)).toBeCloseTo(3.68928, 12);
    expect(expectedTokensPerCall(1, 4)).toBe(5);
  });
});
