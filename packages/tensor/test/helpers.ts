import { afterEach, expect } from 'vitest';
import { concat, type DType, flatten, fromArray, grad, memory, type Tensor } from '../src/index.js';
import { gradcheck, type GradcheckOptions } from '../src/testing/gradcheck.js';

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Elements of a tensor as plain numbers, in row-major order. */
export function valuesOf(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element by element. NaN matches only NaN and
 * an infinity only the same infinity, so NaN propagation and overflow are checked too.
 */
export function expectAllClose(
  actual: Tensor | ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance = {},
): void {
  const { atol = 1e-6, rtol = 1e-6 } = tolerance;
  const got = Array.from('dataSync' in actual ? actual.dataSync() : actual);
  const want = Array.from(expected);
  expect(got.length, 'element count').toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const [a, e] = [got[i], want[i]];
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : Number.isFinite(e)
        ? Math.abs(a - e) <= atol + rtol * Math.abs(e)
        : a === e;
    if (!ok) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  expect(
    bad.slice(0, 8),
    `${bad.length} of ${want.length} elements outside atol ${atol}, rtol ${rtol}`,
  ).toEqual([]);
}

/** Checks after every test of the calling file that no tensor is left alive. */
export function checkNoLeaks(): void {
  afterEach(() => expect(memory().tensors, 'live tensors after the test').toBe(0));
}

/** Runs `fn` and asserts that live tensors, buffers and bytes are back where they started. */
export function expectMemoryUnchanged(fn: () => void): void {
  const before = memory();
  fn();
  expect(memory()).toEqual(before);
}

/** Deterministic numbers in [low, high) from mulberry32, independent of the library's generator. */
export function randomValues(count: number, seed: number, low = -1, high = 1): number[] {
  let state = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(low + (high - low) * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32));
  }
  return out;
}

/** Creates a tensor of random values for gradient checks (f64 by default). */
export function randomTensor(
  shape: readonly number[],
  seed: number,
  low = -1,
  high = 1,
  dtype: DType = 'f64',
): Tensor {
  const size = shape.reduce((p, q) => p * q, 1);
  return fromArray(randomValues(size, seed, low, high), shape, { dtype });
}

/** Asserts that autograd agrees with central finite differences for every input element. */
export function expectGradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): void {
  const result = gradcheck(fn, inputs, options);
  expect(result.mismatches.slice(0, 5), `max abs error ${result.maxAbsError}`).toEqual([]);
  expect(result.ok).toBe(true);
}

/**
 * Second derivatives: checks the gradient of `fn` (all inputs, flattened and joined) against finite
 * differences of that gradient, which exercises the backward pass of every backward op.
 */
export function expectSecondOrder(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): void {
  const firstGradient = (...xs: Tensor[]) => concat(grad(fn)(...xs).map((g) => flatten(g)));
  expectGradcheck(firstGradient, inputs, { atol: 1e-5, rtol: 1e-4, ...options });
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/**
 * Reduces `data` (row-major over `shape`) over `axes` in float64 loops. `fold` receives the list of
 * values of one output element, and the outputs come back in row-major order.
 */
export function reduceReference(
  data: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  fold: (values: number[]) => number,
): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = outShape.reduce((p, q) => p * q, 1);
  const groups: number[][] = Array.from({ length: outSize }, () => []);
  const strides = stridesOf(shape);
  const outStrides = stridesOf(outShape);
  for (let flat = 0; flat < data.length; flat++) {
    let target = 0;
    for (let axis = 0; axis < shape.length; axis++) {
      const index = Math.floor(flat / strides[axis]) % shape[axis];
      if (!axes.includes(axis)) target += index * outStrides[axis];
    }
    groups[target].push(data[flat]);
  }
  return groups.map(fold);
}

/**
 * Computes erf by composite Simpson integration of 2/sqrt(pi) exp(-t^2) with 2000 steps. Simpson's error
 * bound, |x| h^4 max|f''''| / 180 with h = |x| / 2000, is below 3e-12 for |x| <= 3.5.
 */
export function erfReference(x: number): number {
  const steps = 2000;
  const h = x / steps;
  let total = 0;
  for (let i = 0; i <= steps; i++) {
    let weight = i % 2 === 1 ? 4 : 2;
    if (i === 0 || i === steps) weight = 1;
    total += weight * Math.exp(-((i * h) ** 2));
  }
  return ((total * h) / 3) * (2 / Math.sqrt(Math.PI));
}
