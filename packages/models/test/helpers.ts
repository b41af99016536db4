import { expect } from 'vitest';

/** mulberry32: a tiny seeded generator for test data, independent of the code under test. */
export function hostRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in (-scale, scale), rounded to f32 so the model and the reference see the same numbers. */
export function randomValues(n: number, seed: number, scale = 0.5): Float32Array {
  const next = hostRandom(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

/** Asserts |a - e| <= atol + rtol |e| for every element, reporting the first offenders. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
): void {
  expect(actual.length, 'element count').toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]}`);
  }
  expect(
    bad.slice(0, 6),
    `${bad.length} of ${expected.length} elements outside atol ${atol}, rtol ${rtol}`,
  ).toEqual([]);
}

/** Indices where two f32 arrays differ in their bits (so -0 and +0 differ, and NaN payloads count). */
export function bitDifferences(a: Float32Array, b: Float32Array): number[] {
  expect(a.length, 'element count').toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

/**
 * Pearson's chi-square statistic of observed counts against expected probabilities; cells with an
 * expected probability of zero must have no observation.
 */
export function chiSquare(
  counts: readonly number[],
  probs: ArrayLike<number>,
): { statistic: number; degrees: number; impossible: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  let statistic = 0;
  let degrees = -1;
  let impossible = 0;
  counts.forEach((observed, i) => {
    const expected = n * probs[i];
    if (expected === 0) {
      impossible += observed;
      return;
    }
    statistic += (observed - expected) ** 2 / expected;
    degrees++;
  });
  return { statistic, degrees, impossible };
}

/**
 * Upper 0.1% points of the chi-square distribution by degrees of freedom (from standard tables), so a
 * correct sampler fails a fixed-seed test with probability 1e-3 at most before the seed is fixed.
 */
export const CHI_SQUARE_999: Record<number, number> = {
  1: 10.828,
  2: 13.816,
  3: 16.266,
  4: 18.467,
  5: 20.515,
  8: 26.124,
  15: 37.697,
  24: 51.179,
  35: 66.619,
};
