import { valueAndGrad } from '../autograd/functional.js';
import { scope } from '../memory.js';
import { fromArray } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { rand } from '../ops/random.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';

export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random weights that project a non-scalar output to a scalar. */
  seed?: number;
}

export interface GradcheckMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  mismatches: GradcheckMismatch[];
}

/**
 * Compares the autograd gradient of `fn` with central finite differences, element by element. Inputs
 * should be f64 on the cpu backend; a non-scalar output is projected to sum(output * w) with fixed random
 * w, so every output element takes part. Passes when |analytic - numeric| <= atol + rtol * |numeric|.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-5, seed = 1234 } = options;
  return scope(() => {
    // No noGrad around fn: a fn that itself calls grad (a second-order check) must be able to record.
    const probe = fn(...inputs);
    const weights = rand(probe.shape, { seed, dtype: 'f64', backend: probe.backend.name });
    const projected = (...xs: Tensor[]) => sum(mul(fn(...xs), weights));
    const { grads } = valueAndGrad(projected)(...inputs);
    const mismatches: GradcheckMismatch[] = [];
    let maxAbsError = 0;
    inputs.forEach((input, k) => {
      const base = input.dataSync();
      const analytic = grads[k].dataSync();
      for (let i = 0; i < base.length; i++) {
        const numeric = centralDifference(projected, inputs, k, base, i, eps);
        const error = Math.abs(analytic[i] - numeric);
        maxAbsError = Math.max(maxAbsError, error);
        if (!(error <= atol + rtol * Math.abs(numeric))) mismatches.push({ input: k, index: i, analytic: analytic[i], numeric });
      }
    });
    return { ok: mismatches.length === 0, maxAbsError, mismatches };
  });
}

function centralDifference(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  k: number,
  base: ArrayLike<number>,
  i: number,
  eps: number,
): number {
  return scope(() => {
    const at = (delta: number) => {
      const values = Float64Array.from(base);
      values[i] += delta;
      const moved = fromArray(values, inputs[k].shape, { dtype: inputs[k].dtype, backend: inputs[k].backend.name });
      const args = inputs.map((t, j) => (j === k ? moved : t));
      return f(...args).dataSync()[0];
    };
    return (at(eps) - at(-eps)) / (2 * eps);
  });
}
