// Shared test helpers: ragged log-prob rows packed into (B, T) f64 leaves with masks, gradient reads,
// and float64 reference formulas written out independently of the package code.
import { type Tensor, tensor } from '@lab/tensor';
import { expect } from 'vitest';
import type { ResponseLogProbs } from '../src/losses.js';

/** Right-pads ragged rows with `pad` (masked off) into (B, T) tensors. Create inside a scope. */
export function packed(rows: number[][], pad = 0): ResponseLogProbs {
  const width = Math.max(...rows.map((r) => r.length));
  const values = rows.map((r) => [...r, ...new Array(width - r.length).fill(pad)]);
  const mask = rows.map((r) => [...r.map(() => 1), ...new Array(width - r.length).fill(0)]);
  return { tokenLogProbs: tensor(values, { dtype: 'f64' }), mask: tensor(mask, { dtype: 'f64' }) };
}

export function f64(values: number[]): Tensor {
  return tensor(values, { dtype: 'f64' });
}

/** Stable float64 softplus, written apart from the tensor kernels. */
export function softplusRef(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoidRef(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export const sumOf = (xs: number[]) => xs.reduce((a, v) => a + v, 0);

/** Expects every element of `actual` within `tol` of `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}
