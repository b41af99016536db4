import { describe, expect, test } from 'vitest';
import { GenerationError, SeededRandom, sampleIndex, samplingDistribution } from '../src/index.js';
import { CHI_SQUARE_999, chiSquare, expectClose } from './helpers.js';

const PROBS = [0.1, 0.4, 0.2, 0.3];
const LOGITS = PROBS.map(Math.log);

describe('samplingDistribution', () => {
  test('temperature divides the logits', () => {
    // softmax([1, 2, 3] / 2) = e^{0.5, 1, 1.5} / (e^0.5 + e^1 + e^1.5)
    const z = Math.exp(0.5) + Math.exp(1) + Math.exp(1.5);
    expectClose(
      samplingDistribution([1, 2, 3], { temperature: 2 }),
      [Math.exp(0.5) / z, Math.exp(1) / z, Math.exp(1.5) / z],
      1e-12,
    );
  });

  test('temperature zero is one-hot on the first maximum', () => {
    expect(Array.from(samplingDistribution([1, 3, 3, 2], { temperature: 0 }))).toEqual([0, 1, 0, 0]);
  });

  test('top-k keeps the k largest', () => {
    expectClose(samplingDistribution(LOGITS, { topK: 2 }), [0, 0.4 / 0.7, 0, 0.3 / 0.7], 1e-12);
  });

  test('top-p keeps the smallest nucleus', () => {
    // sorted 0.4, 0.3, 0.2, 0.1: mass 0.7 >= 0.6 after two tokens
    expectClose(samplingDistribution(LOGITS, { topP: 0.6 }), [0, 0.4 / 0.7, 0, 0.3 / 0.7], 1e-12);
    expectClose(samplingDistribution(LOGITS, { topP: 0.35 }), [0, 1, 0, 0], 1e-12);
  });

  test('top-p applies after top-k renormalizes', () => {
    // top-3 gives 0.4/0.9, 0.3/0.9, 0.2/0.9; 0.444 + 0.333 = 0.778 >= 0.7
    expectClose(samplingDistribution(LOGITS, { topK: 3, topP: 0.7 }), [0, 0.4 / 0.7, 0, 0.3 / 0.7], 1e-12);
  });

  test('logits are left unmodified', () => {
    const logits = Float32Array.from([0.5, -1, 2]);
    samplingDistribution(logits, { temperature: 0.7, topK: 2, topP: 0.9 });
    expect(Array.from(logits)).toEqual([0.5, -1, 2]);
  });

  test('invalid options are rejected', () => {
    expect(() => samplingDistribution(LOGITS, { temperature: -1 })).toThrow(
      /temperature -1 must be a finite number >= 0/,
    );
    expect(() => samplingDistribution(LOGITS, { topK: 1.5 })).toThrow(GenerationError);
    expect(() => samplingDistribution(LOGITS, { topP: 0 })).toThrow(/topP 0 must be in \(0, 1\]/);
    expect(() => samplingDistribution([Number.NaN, 1])).toThrow(/logit 0 is NaN/);
  });
});

describe('sampling draws', () => {
  test('seeded stream repeats and differs by seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(first);
  });

  test('seeded stream is uniform on [0, 1)', () => {
    const random = new SeededRandom(1);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const u = random.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      bins[Math.floor(u * 10)]++;
    }
    const { statistic } = chiSquare(bins, new Array(10).fill(0.1));
    expect(statistic).toBeLessThan(27.877); // chi-square 0.999 quantile, 9 degrees of freedom
  });

  test('sampleIndex inverts the cumulative sum', () => {
    expect(sampleIndex([0, 0.5, 0, 0.5], 0)).toBe(1);
    expect(sampleIndex([0, 0.5, 0, 0.5], 0.4999)).toBe(1);
    expect(sampleIndex([0, 0.5, 0, 0.5], 0.5)).toBe(3);
    // u in the rounding gap above a sum slightly below one lands on the last positive entry
    expect(sampleIndex([0.3, 0.3, 0.3999999, 0], 0.99999999)).toBe(2);
    expect(() => sampleIndex([0, 0], 0.5)).toThrow(/no positive entry/);
  });

  test('draw frequencies follow the distribution', () => {
    const random = new SeededRandom(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleIndex(PROBS, random.next())]++;
    const { statistic, degrees } = chiSquare(counts, PROBS);
    expect(degrees).toBe(3);
    expect(statistic).toBeLessThan(CHI_SQUARE_999[3]);
  });
});
