// Shared machinery of the backend conformance suite: every case runs an op on the cpu backend (the
// reference) and on the backend under test with the same inputs, and compares forward values and
// gradients within the tolerance of the output's dtype. It runs in Node and in the browser project, so
// it imports nothing from node:* and reads the environment through whichever object the host has.
import { expect } from 'vitest';
import { type DType, fromArray, grad, mul, registerBackend, scope, sum, type Tensor, WasmBackend } from '../../src/index.js';
import { randomValues } from '../helpers.js';

type Env = Record<string, string | undefined>;
const env: Env = (globalThis as { process?: { env?: Env } }).process?.env ?? (import.meta as { env?: Env }).env ?? {};

/** Backends under test. A later backend (webgpu) is added here or through LAB_CONFORMANCE_BACKENDS. */
export const BACKENDS: string[] = env.LAB_CONFORMANCE_BACKENDS?.split(',') ?? ['wasm'];

/** Where the suite runs: 'browser' in the vitest browser project (a page, not Node). */
export const HOST = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string' ? 'node' : 'browser';

/** A wasm backend with one thread, registered once, to compare against the threaded one. */
export const SINGLE_THREAD_WASM = 'wasm-1thread';
registerBackend(SINGLE_THREAD_WASM, () => new WasmBackend({ threads: 1 }, SINGLE_THREAD_WASM));

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Per-dtype tolerances. f32 kernels round differently from the cpu backend, which computes in double
 * precision and rounds once: elementwise results agree to a few ulp (2^-24 = 6e-8 relative), sums and
 * products of length n to about sqrt(n) ulp of the magnitudes involved. f64 and integer ops run the
 * same code as the cpu backend and must match exactly.
 */
export const TOLERANCE: Record<DType, Tolerance> = {
  f32: { atol: 1e-5, rtol: 1e-5 },
  f64: { atol: 0, rtol: 0 },
  i32: { atol: 0, rtol: 0 },
  bool: { atol: 0, rtol: 0 },
};

/** Gradients pass through several f32 kernels, so they get ten times the forward tolerance. */
export const GRAD_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

/** A seeded f32 (or other dtype) tensor on the cpu backend with values in [low, high). */
export function input(shape: readonly number[], seed: number, low = -1, high = 1, dtype: DType = 'f32'): Tensor {
  const size = shape.reduce((p, q) => p * q, 1);
  let values = randomValues(size, seed, low, high);
  if (dtype === 'i32' || dtype === 'bool') values = values.map((v) => Math.floor(v));
  return fromArray(values, shape, { dtype, backend: 'cpu' });
}

/** Asserts |a - e| <= atol + rtol |e| elementwise. NaN matches NaN and infinities match exactly. */
export function expectClose(actual: Tensor, expected: Tensor, tolerance: Tolerance, what = 'values'): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  const got = Array.from(actual.dataSync());
  const want = Array.from(expected.dataSync());
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const [a, e] = [got[i], want[i]];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= tolerance.atol + tolerance.rtol * Math.abs(e) : a === e;
    if (!ok) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  expect(bad.slice(0, 6), `${what}: ${bad.length} of ${want.length} outside atol ${tolerance.atol}, rtol ${tolerance.rtol}`).toEqual([]);
}

export interface OpCase {
  /** Inputs on the cpu backend. The case moves copies to the backend under test. */
  inputs: () => Tensor[];
  fn: (...inputs: Tensor[]) => Tensor;
  /** Indices of the inputs to differentiate. Without any, the backward check is skipped. */
  grad?: number[];
  tolerance?: Tolerance;
  gradTolerance?: Tolerance;
}

async function moveAll(tensors: readonly Tensor[], backend: string): Promise<Tensor[]> {
  return Promise.all(tensors.map((t) => t.to(backend)));
}

/**
 * Runs `fn` on both backends and compares the outputs. Then, for the inputs in `grad`, compares the
 * gradients of sum(fn(...) * w) for fixed random weights w (which checks every backward kernel too).
 */
export async function checkCase(backend: string, c: OpCase): Promise<void> {
  const reference = c.inputs();
  const moved = await moveAll(reference, backend);
  const weightsCpu = scope(() => {
    const out = c.fn(...reference);
    return out.dtype === 'f32' || out.dtype === 'f64' ? input(out.shape, 99, -1, 1, out.dtype) : null;
  });
  const weights = weightsCpu ? await weightsCpu.to(backend) : null;
  try {
    scope(() => {
      const expected = c.fn(...reference);
      const actual = c.fn(...moved);
      expect(actual.backend.name).toBe(backend);
      expectClose(actual, expected, c.tolerance ?? TOLERANCE[expected.dtype], 'forward');
    });
    const diff = c.grad ?? [];
    if (diff.length === 0 || !weightsCpu || !weights) return;
    const gradientsOf = (all: Tensor[], w: Tensor) =>
      grad((...xs: Tensor[]) => {
        const args = [...all];
        diff.forEach((index, i) => {
          args[index] = xs[i];
        });
        return sum(mul(c.fn(...args), w));
      })(...diff.map((i) => all[i]));
    scope(() => {
      const expected = gradientsOf(reference, weightsCpu);
      const actual = gradientsOf(moved, weights);
      for (let i = 0; i < expected.length; i++) {
        expectClose(actual[i], expected[i], c.gradTolerance ?? GRAD_TOLERANCE, `gradient of input ${diff[i]}`);
      }
    });
  } finally {
    for (const t of [...reference, ...moved, weightsCpu, weights]) t?.dispose();
  }
}
