import { describe, expect, it } from 'vitest';
import {
  bootstrapCi,
  erf,
  erfc,
  erfcx,
  gaussianLogCdf,
  gaussianLogPdf,
  kolmogorovSurvival,
  ksTwoSample,
  MetricInputError,
  normalCdf,
  normalLogCdf,
  quantile,
  seededUniform,
} from '../src/index.js';

// Reference values below were computed with SciPy 1.10.1 (scipy.special.log_ndtr, erfc, erfcx,
// erf, kolmogorov; scipy.stats.norm; scipy.stats.ks_2samp(method='exact')) in float64.
const relClose = (actual: number, expected: number, tol: number) => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.abs(expected));
};

describe('gaussian helpers', () => {
  it('log cdf matches scipy across the range', () => {
    const table: [number, number][] = [
      [-1000, -500007.8266948122],
      [-40, -804.6084420137539],
      [-10, -53.23128515051248],
      [-5, -15.064998393988727],
      [-3, -6.60772622151035],
      [-1, -1.841021645009264],
      [0, -Math.LN2],
      [1.5, -0.06914345561223399],
      [8, -6.220960574271743e-16],
    ];
    for (const [z, expected] of table) relClose(normalLogCdf(z), expected, 1e-13);
  });

  it('log cdf is finite where the cdf underflows', () => {
    expect(normalCdf(-40)).toBe(0);
    expect(Number.isFinite(normalLogCdf(-40))).toBe(true);
    // Leading asymptotic term: log phi(z) - log(-z) = -z^2/2 - log(sqrt(2 pi)) - log(-z).
    const z = -1e4;
    const asymptotic = (-z * z) / 2 - 0.5 * Math.log(2 * Math.PI) - Math.log(-z);
    relClose(normalLogCdf(z), asymptotic, 1e-12);
  });

  it('cdf matches scipy', () => {
    relClose(normalCdf(-10), 7.61985302416047e-24, 1e-13);
    relClose(normalCdf(-3), 0.0013498980316300933, 1e-14);
    relClose(normalCdf(1.5), 0.9331927987311419, 1e-15);
  });

  it('erfc family matches scipy', () => {
    const table: [number, number, number, number][] = [
      [0.3, 0.6713732405408726, 0.7345993345676554, 0.3286267594591274],
      [1.0, 0.15729920705028516, 0.427583576155807, 0.8427007929497148],
      [1.9, 0.007209570764742531, 0.26650937366167254, 0.9927904292352575],
      [2.0, 0.004677734981047266, 0.2553956763105058, 0.9953222650189527],
      [3.5, 7.430983723414129e-7, 0.1552936556088943, 0.9999992569016276],
      [10.0, 2.0884875837625446e-45, 0.05614099274382259, 1.0],
      [26.0, 5.663192408856145e-296, 0.02168358485056291, 1.0],
    ];
    for (const [x, c, cx, e] of table) {
      relClose(erfc(x), c, 1e-13);
      relClose(erfcx(x), cx, 1e-13);
      relClose(erf(x), e, 1e-15);
    }
    expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028516, 15);
  });

  it('log pdf matches the written formula', () => {
    // -((x - mu)/sd)^2 / 2 - log sd - log sqrt(2 pi); scipy gives -3.612085713764618 for (-3; 1, 2).
    relClose(gaussianLogPdf(-3, 1, 2), -3.612085713764618, 1e-15);
    relClose(gaussianLogPdf(2.944439, 3.15, 0.229129), 0.15210067415872208, 1e-13);
  });

  it('lira offline cdf reproduces the reference', () => {
    // OUT mean 2.2, sd 0.291548; observed 2.944439 -> Phi = 0.994666.
    const logCdf = gaussianLogCdf(2.944439, 2.2, 0.291548);
    relClose(logCdf, -0.0053481032763269655, 1e-12);
    expect(Math.exp(logCdf)).toBeCloseTo(0.994666, 6);
    relClose(gaussianLogCdf(-50, 1, 0.5), -5207.544007440282, 1e-13);
  });

  it('zero std is rejected', () => {
    expect(() => gaussianLogPdf(0, 0, 0)).toThrow(MetricInputError);
    expect(() => gaussianLogCdf(0, 0, -1)).toThrow(/global/);
  });
});

// Enumerates all C(m+n, m) interleavings of two tie-free samples and counts those whose KS gap
// reaches the observed one: the exact null distribution by its definition.
function bruteForceKsPValue(x: number[], y: number[]): number {
  const m = x.length;
  const n = y.length;
  const pooled = [...x.map((v) => ({ v, fromX: true })), ...y.map((v) => ({ v, fromX: false }))].sort(
    (a, b) => a.v - b.v,
  );
  const gapOf = (isX: boolean[]) => {
    let i = 0;
    let j = 0;
    let gap = 0;
    for (const fromX of isX) {
      if (fromX) i++;
      else j++;
      gap = Math.max(gap, Math.abs(i * n - j * m));
    }
    return gap;
  };
  const observed = gapOf(pooled.map((p) => p.fromX));
  let hits = 0;
  let total = 0;
  const walk = (prefix: boolean[], xsLeft: number, ysLeft: number) => {
    if (xsLeft === 0 && ysLeft === 0) {
      total++;
      if (gapOf(prefix) >= observed) hits++;
      return;
    }
    if (xsLeft > 0) walk([...prefix, true], xsLeft - 1, ysLeft);
    if (ysLeft > 0) walk([...prefix, false], xsLeft, ysLeft - 1);
  };
  walk([], m, n);
  return hits / total;
}

describe('two-sample ks test', () => {
  it('exact p-value matches brute force', () => {
    const cases: [number[], number[]][] = [
      [
        [0.1, 0.5, 0.9, 1.3],
        [0.2, 0.6, 0.8, 2.5, 2.9],
      ],
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8, 9],
      ],
      [
        [0.3, 0.1, 0.7],
        [0.2, 0.4, 0.5, 0.6, 0.8, 0.9],
      ],
      [
        [5, 1, 9, 3, 7],
        [2, 4, 6, 8, 10],
      ],
      [[0.05], [0.1, 0.2]],
    ];
    for (const [x, y] of cases) relClose(ksTwoSample(x, y).pValue, bruteForceKsPValue(x, y), 1e-13);
  });

  it('exact p-value matches scipy', () => {
    const x = [
      0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77,
      1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47,
    ];
    const y = [
      2.2, 1.12, 1.86, 0.97, 1.41, 2.35, 1.39, 0.46, 2.94, 1.03, 2.08, 0.53, 1.38, 2.33, 1.61, 1.77, 1.01,
      0.38, 1.84, 1.65,
    ];
    const r = ksTwoSample(x, y);
    expect(r.method).toBe('exact');
    relClose(r.statistic, 0.57, 1e-14);
    relClose(r.pValue, 0.0007540518948858841, 1e-12);

    const r2 = ksTwoSample(
      [0.1, 0.5, 0.9, 1.3, 2.2, 3.0, 3.1],
      [0.2, 0.6, 0.8, 2.5, 2.9, 3.3, 3.6, 4.0, 0.05],
    );
    relClose(r2.statistic, 1 / 3, 1e-14);
    relClose(r2.pValue, 0.6475524475524476, 1e-13);
  });

  it('separated samples give the smallest p-value', () => {
    // D = 1 needs all x below all y (or above): 2 of C(11, 5) = 462 paths.
    const r = ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]);
    expect(r.statistic).toBe(1);
    relClose(r.pValue, 2 / 462, 1e-14);
  });

  it('tiny p-values keep relative accuracy', () => {
    // m = n = 60, fully separated: p = 2 / C(120, 60). C(120, 60) = 9.66e34, by lgamma-free product.
    let logBinom = 0;
    for (let k = 1; k <= 60; k++) logBinom += Math.log(60 + k) - Math.log(k);
    const xs = Array.from({ length: 60 }, (_, i) => i);
    const ys = Array.from({ length: 60 }, (_, i) => 100 + i);
    relClose(ksTwoSample(xs, ys).pValue, 2 * Math.exp(-logBinom), 1e-11);
  });

  it('identical samples give p-value one', () => {
    expect(ksTwoSample([1, 2, 3], [1, 2, 3]).statistic).toBe(0);
    expect(ksTwoSample([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
  });

  it('ties move both cdfs together', () => {
    // x = [1, 1, 2, 2], y = [1, 2, 3]: after 1 the CDFs are 1/2 and 1/3, after 2 they are 1 and 2/3.
    expect(ksTwoSample([1, 1, 2, 2], [1, 2, 3]).statistic).toBeCloseTo(1 / 3, 15);
  });

  it('kolmogorov survival matches scipy', () => {
    const table: [number, number][] = [
      [0.5, 0.9639452436648751],
      [1.0, 0.26999967167735456],
      [1.5, 0.022217962616525127],
      [2.5, 7.453306344157342e-6],
    ];
    for (const [lambda, expected] of table) relClose(kolmogorovSurvival(lambda), expected, 1e-13);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('asymptotic method uses the kolmogorov limit', () => {
    const x = [0.1, 0.5, 0.9, 1.3, 2.2, 3.0, 3.1];
    const y = [0.2, 0.6, 0.8, 2.5, 2.9, 3.3, 3.6, 4.0, 0.05];
    const r = ksTwoSample(x, y, { method: 'asymptotic' });
    expect(r.method).toBe('asymptotic');
    relClose(r.pValue, kolmogorovSurvival(Math.sqrt((7 * 9) / 16) / 3), 1e-15);
  });

  it('asymptotic approaches exact for large samples', () => {
    const rand = seededUniform(3);
    const x = Array.from({ length: 600 }, () => rand());
    const y = Array.from({ length: 500 }, () => rand() * 1.1);
    const exact = ksTwoSample(x, y, { method: 'exact' }).pValue;
    const asymptotic = ksTwoSample(x, y, { method: 'asymptotic' }).pValue;
    expect(Math.abs(exact - asymptotic)).toBeLessThan(0.1 * exact);
  });

  it('nan sample value is rejected', () => {
    expect(() => ksTwoSample([1, Number.NaN], [2])).toThrow(/x\[1\]/);
  });
});

describe('quantile and bootstrap', () => {
  it('quantile interpolates linearly', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75); // pos 0.75 between 1 and 2
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
  });

  it('uniform generator is seeded and uniform', () => {
    const a = seededUniform(42);
    const b = seededUniform(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    const c = seededUniform(43);
    expect(c()).not.toBe(first[0]);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = a();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2); // sd of the mean is 0.0009
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it('bootstrap repeats with the same seed', () => {
    const values = [0.2, 0.9, 0.4, 0.7, 0.1, 0.5];
    const a = bootstrapCi(values, { seed: 5, resamples: 200 });
    const b = bootstrapCi(values, { seed: 5, resamples: 200 });
    expect(b).toEqual(a);
    expect(bootstrapCi(values, { seed: 6, resamples: 200 }).lower).not.toBe(a.lower);
  });

  it('bootstrap interval brackets the estimate', () => {
    const values = [0.2, 0.9, 0.4, 0.7, 0.1, 0.5];
    const r = bootstrapCi(values, { resamples: 500 });
    expect(r.estimate).toBeCloseTo(2.8 / 6, 15);
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
    expect(r.lower).toBeGreaterThanOrEqual(0.1);
    expect(r.upper).toBeLessThanOrEqual(0.9);
  });

  it('bootstrap width matches the normal approximation', () => {
    // 400 coin flips with 200 ones: se = sqrt(0.25 / 400) = 0.025, 95% width ~ 2 * 1.96 * 0.025 = 0.098.
    const values = Array.from({ length: 400 }, (_, i) => i % 2);
    const r = bootstrapCi(values, { resamples: 2000, seed: 1 });
    expect(r.upper - r.lower).toBeGreaterThan(0.085);
    expect(r.upper - r.lower).toBeLessThan(0.11);
  });

  it('bootstrap of constants is a point', () => {
    const r = bootstrapCi([3, 3, 3], { resamples: 50 });
    expect(r.lower).toBe(3);
    expect(r.upper).toBe(3);
  });

  it('bootstrap takes any statistic', () => {
    const median = (s: Float64Array) => quantile(s, 0.5);
    const r = bootstrapCi([1, 2, 3, 4, 100], { statistic: median, resamples: 300 });
    expect(r.estimate).toBe(3);
    expect(r.upper).toBeLessThanOrEqual(100);
  });

  it('bootstrap counts invalid resamples', () => {
    // The statistic is NaN when a resample contains no positive value.
    const meanPositive = (s: Float64Array) => {
      const kept = [...s].filter((v) => v > 0);
      return kept.length === 0 ? Number.NaN : kept.reduce((a, b) => a + b, 0) / kept.length;
    };
    const r = bootstrapCi([0, 0, 0, 1], { statistic: meanPositive, resamples: 400, seed: 2 });
    // P(no 1 in 4 draws) = (3/4)^4 = 0.316: about 127 of 400, sd about 9.
    expect(r.invalidResamples).toBeGreaterThan(90);
    expect(r.invalidResamples).toBeLessThan(165);
  });

  it('bootstrap rejects a bad confidence', () => {
    expect(() => bootstrapCi([1, 2], { confidence: 1 })).toThrow(/confidence/);
  });
});
