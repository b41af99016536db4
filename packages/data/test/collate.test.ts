import { logSoftmax, memory, randn, scope } from '@lab/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batches,
  batchIndices,
  ByteTokenizer,
  CollateError,
  collate,
  collateArrays,
  collatePreference,
  permutation,
  tokenizeExample,
  truncateRow,
  uniformAt,
} from '../src/index.js';

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

// Symbolic ids: prompt tokens P1..P3 = 11..13, completion C1 = 21, Q1 = 31, D1..D7 = 41..47.
const rowA = { prompt: [11, 12, 13], completion: [21] };
const rowB = { prompt: [31], completion: [41, 42, 43, 44, 45, 46, 47] };

/** Row b of a (B, T) row-major array. */
const row = (a: ArrayLike<number>, b: number, T: number) => Array.from(a).slice(b * T, (b + 1) * T);

describe('collator keep-end never empties completion mask', () => {
  it('truncates each row on its own', () => {
    const out = collateArrays([rowA, rowB], { maxLength: 4, truncation: 'keep-end' });
    expect(out.length).toBe(4);
    expect(row(out.ids, 0, 4)).toEqual([11, 12, 13, 21]);
    expect(row(out.completionMask, 0, 4)).toEqual([0, 0, 0, 1]);
    expect(row(out.ids, 1, 4)).toEqual([44, 45, 46, 47]);
    expect(row(out.completionMask, 1, 4)).toEqual([1, 1, 1, 1]);
  });

  it('keeps a label on every row', () => {
    scope(() => {
      const batch = collate([rowA, rowB], { maxLength: 4, truncation: 'keep-end' });
      const perRow = Array.from(batch.lossMask.sum(1).dataSync());
      // Row A predicts C1 from P3 (1 label); row B predicts D5, D6, D7 (D4 has no context).
      expect(perRow).toEqual([1, 3]);
    });
  });

  it('gives a finite length-averaged log-prob', () => {
    scope(() => {
      const batch = collate([rowA, rowB], { maxLength: 4, truncation: 'keep-end' });
      const logits = randn([2, 3, 64], { seed: 3 }); // (B, T-1, V)
      const logProbs = logSoftmax(logits, -1).gather(2, batch.labels.unsqueeze(2)).squeeze(2); // (B, T-1)
      const average = logProbs.mul(batch.lossMask).sum(1).div(batch.lossMask.sum(1)); // (B)
      expect(Array.from(average.isFinite().dataSync())).toEqual([1, 1]);
    });
  });

  it('raises a named error when no completion fits', () => {
    const attempt = () => collateArrays([rowB, rowA], { maxLength: 3, truncation: 'keep-start' });
    expect(attempt).toThrow(CollateError);
    expect(attempt).toThrow(/row 1 keeps no completion token/);
  });

  it('refuses a completion at position 0 only', () => {
    // [C] alone has no earlier token to predict it from.
    expect(typeof truncateRow({ prompt: [], completion: [5] }, undefined)).toBe('string');
    expect(truncateRow({ prompt: [], completion: [5, 6] }, undefined)).toEqual({
      ids: [5, 6],
      completionStart: 0,
    });
  });

  it('keeps the start when asked', () => {
    const out = collateArrays([rowB], { maxLength: 4, truncation: 'keep-start' });
    expect(Array.from(out.ids)).toEqual([31, 41, 42, 43]);
    expect(Array.from(out.completionMask)).toEqual([0, 1, 1, 1]);
  });
});

describe('collation padding and shift', () => {
  it('pads right with masks at zero', () => {
    const out = collateArrays([rowA, { prompt: [7], completion: [8] }], { padId: 99 });
    expect(row(out.ids, 1, 4)).toEqual([7, 8, 99, 99]);
    expect(row(out.attentionMask, 1, 4)).toEqual([1, 1, 0, 0]);
    expect(row(out.completionMask, 1, 4)).toEqual([0, 1, 0, 0]);
    expect(out.rowLengths).toEqual([4, 2]);
  });

  it('shifts labels by one position', () => {
    scope(() => {
      const batch = collate([rowA, { prompt: [7], completion: [8] }], { padId: 0 });
      expect(batch.inputs.shape).toEqual([2, 3]);
      expect(Array.from(batch.inputs.dataSync())).toEqual([11, 12, 13, 7, 8, 0]);
      expect(Array.from(batch.labels.dataSync())).toEqual([12, 13, 21, 8, 0, 0]);
      expect(Array.from(batch.lossMask.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
      expect(Array.from(batch.inputMask.dataSync())).toEqual([1, 1, 1, 1, 1, 0]);
      expect(batch.ids.dtype).toBe('i32');
      expect(batch.lossMask.dtype).toBe('f32');
    });
  });

  it('pads to maxLength when asked', () => {
    const out = collateArrays([rowA], { maxLength: 6, padToMaxLength: true });
    expect(out.length).toBe(6);
  });

  it('rejects a maxLength below 2', () => {
    expect(() => collateArrays([rowA], { maxLength: 1 })).toThrow(/maxLength must be an integer >= 2/);
  });

  it('aligns chosen and rejected to one length', () => {
    scope(() => {
      const pairs = [{ prompt: [1, 2], chosen: [3], rejected: [4, 5, 6], tie: true }];
      const batch = collatePreference(pairs);
      expect(batch.chosen.ids.shape).toEqual([1, 5]);
      expect(batch.rejected.ids.shape).toEqual([1, 5]);
      expect(Array.from(batch.chosen.lossMask.dataSync())).toEqual([0, 1, 0, 0]);
      expect(Array.from(batch.rejected.lossMask.dataSync())).toEqual([0, 1, 1, 1]);
      expect(Array.from(batch.tie.dataSync())).toEqual([1]);
    });
  });

  it('names the pair side in errors', () => {
    const pairs = [{ prompt: [1, 2, 3], chosen: [4], rejected: [5] }];
    expect(() => collatePreference(pairs, { maxLength: 3, truncation: 'keep-start' })).toThrow(
      /pair 0 \(chosen\)/,
    );
  });

  it('tokenizes prompt and completion apart', () => {
    const bytes = new ByteTokenizer();
    const example = tokenizeExample(bytes, { prompt: 'hi', completion: '!' });
    expect(example).toEqual({ prompt: [256, 0x68, 0x69], completion: [0x21, 257] });
  });
});

describe('seeded shuffling and batching', () => {
  it('repeats the order for a seed', () => {
    expect(permutation(50, 7)).toEqual(permutation(50, 7));
  });

  it('changes the order with seed and epoch', () => {
    expect(permutation(50, 7)).not.toEqual(permutation(50, 8));
    expect(permutation(50, 7, 1)).not.toEqual(permutation(50, 7, 0));
  });

  it('visits every index once', () => {
    const order = permutation(1000, 42);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('draws uniform numbers', () => {
    // Mean of U[0,1) is 1/2 with standard error sqrt(1/12/n) ~ 0.0029 for n = 10000; allow 5 of them.
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += uniformAt(5, 0, i);
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.015);
  });

  it('places each index at each position evenly', () => {
    // 3 items have 6 orders; over 6000 seeds each order should appear ~1000 times (sd ~ 29).
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = permutation(3, seed).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('batches with and without the last partial batch', () => {
    expect(batchIndices(10, { batchSize: 4, shuffle: false })).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batchIndices(10, { batchSize: 4, seed: 1, dropLast: true }).length).toBe(2);
    expect(batches(['a', 'b', 'c'], { batchSize: 2, seed: 9 })).toEqual(
      batches(['a', 'b', 'c'], { batchSize: 2, seed: 9 }),
    );
  });
});
