// PyTorch golden values: scripts/make_golden.py forms every loss from log_softmax of random float64
// logits and records the loss and its gradient with respect to the logits. Here the same logits go
// through responseLogProbs and the package's losses, and autograd gives the gradients.
import { readFileSync } from 'node:fs';
import { fromArray, scope, type Tensor, valueAndGrad } from '@lab/tensor';
import { describe, expect, it } from 'vitest';
import { type ObjectiveSettings, responseLogProbs, sequenceSums, unlearningObjective } from '../src/losses.js';
import { expectClose } from './helpers.js';

interface Golden {
  shape: [number, number, number];
  retainShape: [number, number, number];
  policyLogits: number[];
  referenceLogits: number[];
  ids: number[];
  completionMask: number[];
  retainLogits: number[];
  retainIds: number[];
  retainCompletionMask: number[];
  results: Record<string, { value: number; gradPolicyLogits: number[]; gradRetainLogits: number[] }>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8')) as Golden;

const CASES: Record<string, Omit<ObjectiveSettings, 'margin'> & { margin?: number }> = {
  ga: { kind: 'ga', beta: 1, forgetWeight: 1, retainWeight: 0 },
  'npo_beta0.1': { kind: 'npo', beta: 0.1, forgetWeight: 1, retainWeight: 0 },
  'npo_beta1.0': { kind: 'npo', beta: 1, forgetWeight: 1, retainWeight: 0 },
  'simnpo_beta2.5_gamma0.0': { kind: 'simnpo', beta: 2.5, margin: 0, forgetWeight: 1, retainWeight: 0 },
  'simnpo_beta2.5_gamma1.0': { kind: 'simnpo', beta: 2.5, margin: 1, forgetWeight: 1, retainWeight: 0 },
  'simnpo_beta4.5_gamma0.5': { kind: 'simnpo', beta: 4.5, margin: 0.5, forgetWeight: 1, retainWeight: 0 },
  simnpo_gd: { kind: 'simnpo', beta: 4.5, margin: 0.5, forgetWeight: 0.125, retainWeight: 1 },
  npo_gd: { kind: 'npo', beta: 0.1, forgetWeight: 1, retainWeight: 1 },
  graddiff: { kind: 'ga', beta: 1, forgetWeight: 1, retainWeight: 1 },
};

function run(name: string) {
  const settings = { margin: 0, ...CASES[name] };
  return scope(() => {
    const f64 = (v: number[], shape: number[]) => fromArray(Float64Array.from(v), shape, { dtype: 'f64' });
    const i32 = (v: number[], shape: number[]) => fromArray(Int32Array.from(v), shape, { dtype: 'i32' });
    const [B, T, V] = golden.shape;
    const [R] = golden.retainShape;
    const ids = i32(golden.ids, [B, T]);
    const mask = f64(golden.completionMask, [B, T]);
    const retainIds = i32(golden.retainIds, [R, T]);
    const retainMask = f64(golden.retainCompletionMask, [R, T]);
    const reference = sequenceSums(responseLogProbs(f64(golden.referenceLogits, [B, T, V]), ids, mask)).sum; // (B)
    const fn = valueAndGrad((policy: Tensor, retain: Tensor) =>
      unlearningObjective(
        {
          forget: responseLogProbs(policy, ids, mask),
          retain: responseLogProbs(retain, retainIds, retainMask),
          referenceLogProbs: reference,
        },
        settings,
      ).loss,
    );
    const { value, grads } = fn(f64(golden.policyLogits, [B, T, V]), f64(golden.retainLogits, [R, T, V]));
    return { value: value.dataSync()[0], policy: [...grads[0].dataSync()], retain: [...grads[1].dataSync()] };
  });
}

describe('pytorch golden values', () => {
  for (const name of Object.keys(CASES)) {
    it(`golden ${name} value and grads`, () => {
      const expected = golden.results[name];
      const got = run(name);
      expect(Math.abs(got.value - expected.value)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected.value)));
      expectClose(got.policy, expected.gradPolicyLogits, 1e-9);
      expectClose(got.retain, expected.gradRetainLogits, 1e-9);
    });
  }
});
