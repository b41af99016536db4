// Shared test helpers: f64 log-prob leaves, loss-and-gradient reads, a tolerance check, and float64
// reference formulas written out independently of the package code.
import { type DType, type Tensor, tensor } from '@lab/tensor';
import { expect } from 'vitest';
import type { PreferenceLogProbs } from '../src/core.js';

export interface PairRows {
  policyChosen: number[];
  policyRejected: number[];
  referenceChosen: number[];
  referenceRejected: number[];
}

export const INPUT_NAMES = [
  'policyChosen',
  'policyRejected',
  'referenceChosen',
  'referenceRejected',
] as const;

/** Leaf tensors (B) that record gradients; create them inside a scope. */
export function leaves(rows: PairRows, dtype: DType = 'f64'): PreferenceLogProbs {
  const make = (values: number[]) => tensor(values, { dtype }).setRequiresGrad();
  return {
    policyChosen: make(rows.policyChosen),
    policyRejected: make(rows.policyRejected),
    referenceChosen: make(rows.referenceChosen),
    referenceRejected: make(rows.referenceRejected),
  };
}

/** Builds (B = 1) rows of one pair. */
export function onePair(
  policyChosen: number,
  policyRejected: number,
  referenceChosen: number,
  referenceRejected: number,
): PairRows {
  return {
    policyChosen: [policyChosen],
    policyRejected: [policyRejected],
    referenceChosen: [referenceChosen],
    referenceRejected: [referenceRejected],
  };
}

export function ties(flags: boolean[]): Tensor {
  return tensor(flags, { dtype: 'bool' });
}

export interface LossAndGrads {
  value: number;
  grads: Record<(typeof INPUT_NAMES)[number], number[]>;
}

/** Runs backward on a scalar loss and reads the loss and every leaf gradient. */
export function backwardOf(loss: Tensor, inputs: PreferenceLogProbs): LossAndGrads {
  loss.backward();
  const read = (t: Tensor) => Array.from(t.grad?.dataSync() ?? []);
  return {
    value: loss.dataSync()[0],
    grads: {
      policyChosen: read(inputs.policyChosen),
      policyRejected: read(inputs.policyRejected),
      referenceChosen: read(inputs.referenceChosen),
      referenceRejected: read(inputs.referenceRejected),
    },
  };
}

export function expectClose(actual: number, expected: number, tolerance: number, what = ''): void {
  expect(Math.abs(actual - expected), `${what} actual ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

// Float64 reference formulas, from the probabilities directly (naive forms are fine for moderate d).
export const sigma = (x: number) => 1 / (1 + Math.exp(-x));
export const refDpo = (d: number) => -Math.log(sigma(d));
export function refRaoKupper(d: number, tie: boolean, nu: number): number {
  const alpha = Math.log(nu);
  const win = sigma(d - alpha);
  return tie ? -Math.log((nu * nu - 1) * win * sigma(-d - alpha)) : -Math.log(win);
}
export function refDavidson(d: number, tie: boolean, nu: number): number {
  const denominator = Math.exp(d / 2) + Math.exp(-d / 2) + 2 * nu;
  return -Math.log((tie ? 2 * nu : Math.exp(d / 2)) / denominator);
}
