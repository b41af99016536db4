// TOFU metric pieces on hand-worked inputs: ROUGE-L recall, the harmonic mean, and the metric
// assembly (truth-ratio score, forget quality from the KS test, utilities).
import { describe, expect, it } from 'vitest';
import { harmonicMean, rougeLRecall, type SetScores, tofuMetrics } from '../src/evaluate.js';

describe('rougeL recall', () => {
  it('rouge counts common subsequence', () => {
    // Reference words: the cat sat on the mat (6); LCS with "the cat on a mat" is the,cat,on,mat = 4.
    expect(rougeLRecall('The cat on a mat.', 'the cat sat on the mat')).toBeCloseTo(4 / 6, 12);
  });

  it('rouge empty generation scores zero', () => {
    expect(rougeLRecall('', 'an answer')).toBe(0);
    expect(rougeLRecall('an answer', 'an answer')).toBe(1);
  });
});

describe('harmonic mean', () => {
  it('harmonic mean of values', () => {
    expect(harmonicMean([1, 0.5, 0.25])).toBeCloseTo(3 / (1 + 2 + 4), 12);
  });

  it('harmonic mean zero dominates', () => {
    expect(harmonicMean([0.9, 0, 0.8])).toBe(0);
  });
});

function set(truthRatios: number[], answerProbs: number[], normalisedProbs: number[], rougeL: number[]): SetScores {
  return { truthRatios, answerProbs, normalisedProbs, rougeL };
}

describe('tofu metrics assembly', () => {
  const general = set([2, 4], [0.1, 0.1], [0.5, 0.7], [0.5, 0.5]);
  const scores = {
    forget: set([1, 2, 3], [0.2, 0.4, 0.6], [0, 0, 0], [1, 0]),
    retain: set([2, 0.5], [0.3, 0.5], [0, 0], [0.25, 0.75]),
    realAuthors: general,
    worldFacts: general,
  };

  it('identical ratios give quality one', () => {
    const m = tofuMetrics(scores, [1, 2, 3]);
    expect(m.forgetQuality).toBeCloseTo(1, 12);
    expect(m.ksStatistic).toBe(0);
  });

  it('disjoint ratios give low quality', () => {
    // Exact two-sided KS p-value for m = n = 3 fully separated samples: 2 / C(6, 3) = 0.1.
    const m = tofuMetrics(scores, [10, 11, 12]);
    expect(m.forgetQuality).toBeCloseTo(0.1, 12);
  });

  it('utilities from hand values', () => {
    const m = tofuMetrics(scores, [1, 2, 3]);
    // Retain: prob 0.4, ROUGE 0.5, truth score mean(max(0, 1 - 1/2), max(0, 1 - 2)) = 0.25.
    expect(m.retainUtility).toBeCloseTo(3 / (1 / 0.4 + 1 / 0.5 + 1 / 0.25), 12);
    // General sets: prob 0.6, ROUGE 0.5, truth score mean(0.5, 0.75) = 0.625, twice.
    const all = [0.4, 0.5, 0.25, 0.6, 0.5, 0.625, 0.6, 0.5, 0.625];
    expect(m.modelUtility).toBeCloseTo(9 / all.reduce((a, v) => a + 1 / v, 0), 12);
    expect(m.forgetProb).toBeCloseTo(0.4, 12);
    expect(m.forgetRougeL).toBeCloseTo(0.5, 12);
  });
});
