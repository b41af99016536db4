// Test vectors for LiRA: logit scaling, online and offline scores, fixed variance, the loss
// statistic, the flip estimator, the pinned offline statistic and logit-scaling overflow. Expected numbers are the spec's hand-worked values or float64
// formulas written out here, never outputs of the code under test.
import { describe, expect, it } from 'vitest';
import {
  binomialTwoSidedP,
  fitGaussians,
  flipRate,
  isCoinFlip,
  liraAttack,
  logitScaledConfidence,
  mean,
  median,
  offlineLogCdf,
  onlineLogRatio,
  populationStd,
  referenceCodeOfflineScore,
} from '../src/index.js';

/** log N(x; mu, sd^2), written out independently of @lab/eval. */
function logNormal(x: number, mu: number, sd: number): number {
  return -0.5 * ((x - mu) / sd) ** 2 - Math.log(sd) - 0.5 * Math.log(2 * Math.PI);
}

/** Builds stats/keep matrices: model 0 is the target (observed o), then the IN models, then the OUT models, one example. */
function oneExample(observed: number, ins: number[], outs: number[]) {
  const stats = [[observed], ...ins.map((v) => [v]), ...outs.map((v) => [v])];
  const keep = [[true], ...ins.map(() => [true]), ...outs.map(() => [false])];
  const references = stats.map((_, m) => m).slice(1);
  return { stats, keep, references };
}

describe('logit scaling T1', () => {
  it('p 0.95 gives 2.944439', () => {
    // Two classes with logits [log 0.95, log 0.05]: phi = log(0.95 / 0.05).
    expect(logitScaledConfidence([Math.log(0.95), Math.log(0.05)], 0)).toBeCloseTo(2.944439, 6);
  });
  it('logits 4 1 0.5 give 2.525923', () => {
    expect(logitScaledConfidence([4, 1, 0.5], 0)).toBeCloseTo(2.525923, 6);
  });
  it('logits 40 0 0 stay finite', () => {
    // 40 - log(e^0 + e^0) = 40 - log 2; log(p / (1 - p)) of the rounded p is +inf here.
    const naive = Math.log(1 / (1 + 2 * Math.exp(-40)) / (1 - 1 / (1 + 2 * Math.exp(-40))));
    expect(naive).toBe(Number.POSITIVE_INFINITY);
    expect(logitScaledConfidence([40, 0, 0], 0)).toBeCloseTo(39.306853, 6);
  });
  it('rejects a label outside the logits', () => {
    expect(() => logitScaledConfidence([1, 2], 2)).toThrow(/label = 2/);
  });
});

describe('online and offline T2', () => {
  const ins = [3.2, 2.9, 3.5, 3.0];
  const outs = [2.1, 1.8, 2.6, 2.3];

  it('location and scale summaries', () => {
    expect(mean(ins)).toBeCloseTo(3.15, 12);
    expect(median(ins)).toBeCloseTo(3.1, 12);
    expect(populationStd(ins)).toBeCloseTo(0.229129, 6);
    expect(populationStd(outs)).toBeCloseTo(0.291548, 6);
  });

  it('online mean location p 0.95', () => {
    const { stats, keep, references } = oneExample(2.944439, ins, outs);
    const scores = liraAttack(stats, keep, 0, references, { location: 'mean', variance: 'per-example' });
    expect(scores.online[0]).toBeCloseTo(3.098425, 5);
  });

  it('online median location p 0.95', () => {
    const { stats, keep, references } = oneExample(2.944439, ins, outs);
    const scores = liraAttack(stats, keep, 0, references, { location: 'median', variance: 'per-example' });
    expect(scores.online[0]).toBeCloseTo(3.270388, 5);
  });

  it('online mean location p 0.70', () => {
    const { stats, keep, references } = oneExample(0.847298, ins, outs);
    const scores = liraAttack(stats, keep, 0, references, { location: 'mean', variance: 'per-example' });
    expect(scores.online[0]).toBeCloseTo(-39.494935, 4);
  });

  it('offline pinned log CDF values', () => {
    const { stats, keep, references } = oneExample(2.944439, ins, outs);
    const scores = liraAttack(stats, keep, 0, references, { variance: 'per-example' });
    expect(scores.offline[0]).toBeCloseTo(Math.log(0.994666), 5);
    expect(offlineLogCdf(2.944439, 2.2, 0.291548)).toBeCloseTo(Math.log(0.994666), 5);
  });

  // Deviations from the OUT mean 2.2 are -0.1, -0.4, 0.4, 0.1: sigma = sqrt(0.34 / 4).
  const sdOut = Math.sqrt(0.085);

  it('offline ranking fixes the two-sided flaw', () => {
    // The reference code's -log N ranks the p = 0.70 example (far below the OUT mean) above p = 0.95.
    const codeHigh = referenceCodeOfflineScore(2.944439, 2.2, sdOut);
    const codeLow = referenceCodeOfflineScore(0.847298, 2.2, sdOut);
    expect(codeHigh).toBeCloseTo(2.946324, 5);
    expect(codeLow).toBeCloseTo(10.449934, 5);
    expect(codeLow).toBeGreaterThan(codeHigh);
    expect(offlineLogCdf(2.944439, 2.2, sdOut)).toBeGreaterThan(offlineLogCdf(0.847298, 2.2, sdOut));
  });
});

describe('fixed variance T3', () => {
  it('global sigmas give 0.867518', () => {
    expect(onlineLogRatio(2.944439, 3.15, 0.5, 2.2, 0.6)).toBeCloseTo(0.867518, 5);
    expect(logNormal(2.944439, 3.15, 0.5) - logNormal(2.944439, 2.2, 0.6)).toBeCloseTo(0.867518, 5);
  });

  it('pooled sigmas come from every IN and OUT value', () => {
    // Two examples, two IN and two OUT models each; the global sigma pools all four IN values.
    const stats = [
      [0, 0],
      [1, 5],
      [3, 7],
      [0, 2],
      [2, 4],
    ];
    const keep = [
      [true, false],
      [true, true],
      [true, true],
      [false, false],
      [false, false],
    ];
    const g = fitGaussians(stats, keep, [1, 2, 3, 4], { variance: 'global' });
    // IN values 1, 3, 5, 7: mean 4, population std sqrt(5); OUT values 0, 2, 2, 4: mean 2, std sqrt(2).
    expect(g.stdIn[0]).toBeCloseTo(Math.sqrt(5), 12);
    expect(g.stdOut[1]).toBeCloseTo(Math.sqrt(2), 12);
    expect(g.muIn[1]).toBeCloseTo(6, 12);
  });
});

describe('LLM loss statistic T4', () => {
  // s = -mean NLL, so higher means member.
  const ins = [2.3, 2.45, 2.35, 2.5].map((v) => -v);
  const outs = [2.6, 2.75, 2.55, 2.7].map((v) => -v);
  const { stats, keep, references } = oneExample(-2.4, ins, outs);
  const scores = liraAttack(stats, keep, 0, references, { variance: 'per-example' });

  it('online log ratio is 5', () => {
    expect(scores.online[0]).toBeCloseTo(5, 5);
    // Equal variances: ((o - mu_out)^2 - (o - mu_in)^2) / (2 sigma^2) = 0.0625 / 0.0125.
    expect(((-2.4 + 2.65) ** 2 - 0) / (2 * 0.0790569 ** 2)).toBeCloseTo(5, 4);
  });
  it('offline scores', () => {
    expect(scores.offline[0]).toBeCloseTo(Math.log(0.999217), 5);
    expect(referenceCodeOfflineScore(-2.4, -2.65, 0.0790569)).toBeCloseTo(3.381352, 5);
  });
  it('loss threshold is the observation', () => {
    expect(scores.loss[0]).toBe(-2.4);
  });
});

describe('offline statistic pinned B13', () => {
  it('online log ratio 1.318147', () => {
    expect(onlineLogRatio(2.0, 2.5, 0.5, 0.5, 1)).toBeCloseTo(1.318147, 6);
    expect(logNormal(2.0, 2.5, 0.5) - logNormal(2.0, 0.5, 1)).toBeCloseTo(1.318147, 6);
  });

  it('every path gives the same offline numbers', () => {
    // Direct function and the attack path with a given OUT Gaussian (global sigma 1 around 0.5).
    expect(offlineLogCdf(2.0, 0.5, 1)).toBeCloseTo(-0.069143, 6);
    expect(offlineLogCdf(-3.0, 0.5, 1)).toBeCloseTo(-8.366065, 6);
    // OUT references -0.5 and 1.5 on both examples: mean 0.5, population std 1.
    const stats = [
      [2.0, -3.0],
      [9, 9],
      [-0.5, -0.5],
      [1.5, 1.5],
    ];
    const keep = [
      [true, false],
      [true, true],
      [false, false],
      [false, false],
    ];
    const scores = liraAttack(stats, keep, 0, [1, 2, 3], { variance: 'per-example' });
    expect(scores.offline[0]).toBeCloseTo(-0.069143, 6);
    expect(scores.offline[1]).toBeCloseTo(-8.366065, 6);
    const global = liraAttack(stats, keep, 0, [1, 2, 3], { variance: 'global' });
    expect(global.offline[0]).toBeCloseTo(-0.069143, 6);
    expect(global.offline[1]).toBeCloseTo(-8.366065, 6);
  });

  it('e1 outranks e2 offline', () => {
    expect(offlineLogCdf(2.0, 0.5, 1)).toBeGreaterThan(offlineLogCdf(-3.0, 0.5, 1));
    // The density form would flip it: 2.043939 < 7.043939.
    expect(referenceCodeOfflineScore(2.0, 0.5, 1)).toBeCloseTo(2.043939, 6);
    expect(referenceCodeOfflineScore(-3.0, 0.5, 1)).toBeCloseTo(7.043939, 6);
  });

  it('log CDF stays ordered deep in the tail', () => {
    // Phi itself rounds to 1 for z >= 9 in float64; log Phi keeps the order.
    expect(offlineLogCdf(9.5, 0, 1)).toBeGreaterThan(offlineLogCdf(9, 0, 1));
    expect(offlineLogCdf(-40, 0, 1)).toBeGreaterThan(offlineLogCdf(-41, 0, 1));
    expect(Number.isFinite(offlineLogCdf(-41, 0, 1))).toBe(true);
  });
});

describe('flip estimator T6', () => {
  it('pairwise flip rates for 127 replicas', () => {
    expect(flipRate(60, 127)).toBeCloseTo(0.502437, 6);
    expect(flipRate(63, 127)).toBeCloseTo(0.503937, 6);
    expect(flipRate(64, 127)).toBeCloseTo(0.503937, 6);
    expect(flipRate(100, 127)).toBeCloseTo(0.337458, 6);
    expect(flipRate(127, 127)).toBe(0);
    expect(flipRate(52, 127)).toBeCloseTo(0.487439, 6);
  });
  it('coin flip boundary 52 to 75', () => {
    expect(isCoinFlip(52, 127)).toBe(true);
    expect(isCoinFlip(75, 127)).toBe(true);
    expect(isCoinFlip(51, 127)).toBe(false);
    expect(isCoinFlip(76, 127)).toBe(false);
  });
  it('binomial p-value is 1 at the centre', () => {
    // n = 4, m = 2: every outcome is no likelier than P(2) = 6/16, so p = 1.
    expect(binomialTwoSidedP(2, 4)).toBeCloseTo(1, 12);
    // n = 4, m = 0: P(0) + P(4) = 2/16.
    expect(binomialTwoSidedP(0, 4)).toBeCloseTo(0.125, 12);
  });
});
