// Properties the spec states: limits in beta and |y|, the NPO value at pi = pi_ref, non-negativity and
// monotonicity, the closed-form gradient weights, finite-difference gradients, and invariance of every
// loss to a constant added to the logits (the log-softmax, not raw logits, feeds the losses).
import { add, fromArray, scope, type Tensor, tensor, valueAndGrad } from '@lab/tensor';
import { gradcheck } from '@lab/tensor/testing';
import { describe, expect, it } from 'vitest';
import {
  gaLoss,
  npoLoss,
  npoPerSequence,
  responseLogProbs,
  sequenceSums,
  simNpoLoss,
  simNpoPerSequence,
  unlearningObjective,
} from '../src/losses.js';
import { LossInputError, UnlearningConfigError } from '../src/errors.js';
import { f64, packed, sigmoidRef } from './helpers.js';

const read = (t: Tensor) => [...t.dataSync()];

describe('npo limits and values', () => {
  it('npo equals 2 ln2 over beta at reference', () => {
    for (const beta of [0.1, 1, 3]) {
      const v = scope(() => read(npoPerSequence(f64([-7.5]), f64([-7.5]), beta))[0]);
      expect(Math.abs(v - (2 / beta) * Math.LN2)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('npo tends to ga as beta shrinks', () => {
    // (2/beta) softplus(beta r) = 2 ln2/beta + r + O(beta): the gradient with respect to each summed
    // log-prob tends to 1/B, the sequence-sum GA gradient, and the offset value tends to the log-ratio.
    const beta = 1e-5;
    const out = scope(() => {
      const fn = valueAndGrad((p: Tensor) => npoLoss({ tokenLogProbs: p, mask: tensor([[1], [1]], { dtype: 'f64' }) }, f64([-2, -1]), beta));
      const { value, grads } = fn(tensor([[-3], [-0.5]], { dtype: 'f64' }));
      return { value: read(value)[0], grad: read(grads[0]) };
    });
    const meanRatio = ((-3 - -2) + (-0.5 - -1)) / 2;
    expect(Math.abs(out.value - (2 * Math.LN2) / beta - meanRatio)).toBeLessThanOrEqual(1e-4);
    for (const g of out.grad) expect(Math.abs(g - 0.5)).toBeLessThanOrEqual(1e-4);
  });

  it('npo gradient weight closed form', () => {
    // dL/dlog pi = 2 sigma(beta (log pi - log pi_ref)) for one row; spec vectors give 0.980003 / 0.995.
    const g = scope(() => read(valueAndGrad((p: Tensor) => npoPerSequence(p, f64([-3.6]), 0.1).sum())(f64([-4])).grads[0]));
    expect(Math.abs(g[0] - 2 * sigmoidRef(0.1 * -0.4))).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(g[0] - 0.980003)).toBeLessThanOrEqual(1e-6);
  });
});

describe('simnpo limits and values', () => {
  it('simnpo one token equals npo', () => {
    // With |y| = 1 and gamma 0, SimNPO is NPO against a reference that gives the answer probability 1.
    const [a, b] = scope(() => [
      read(simNpoPerSequence(f64([-0.7, -3]), f64([1, 1]), 2.5, 0)),
      read(npoPerSequence(f64([-0.7, -3]), f64([0, 0]), 2.5)),
    ]);
    for (let i = 0; i < 2; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-12);
  });

  it('simnpo gradient weight closed form', () => {
    // dL/dlog pi = (2/|y|) w/(1+w) with w = pi^(beta/|y|): 0.037929 for seq1 (|y| 4, log pi -4).
    const g = scope(() => read(valueAndGrad((p: Tensor) => simNpoPerSequence(p, f64([4]), 2.5, 0).sum())(f64([-4])).grads[0]));
    const w = Math.exp((2.5 / 4) * -4);
    expect(Math.abs(g[0] - (2 / 4) * (w / (1 + w)))).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(g[0] - 0.037929)).toBeLessThanOrEqual(1e-6);
  });

  it('simnpo small beta tends to scaled ga', () => {
    // As beta -> 0 the weight (2/|y|) w/(1+w) tends to 1/|y|: GA on the length-normalised log-prob.
    const g = scope(() => read(valueAndGrad((p: Tensor) => simNpoPerSequence(p, f64([4]), 1e-6, 0).sum())(f64([-4])).grads[0]));
    expect(Math.abs(g[0] - 0.25)).toBeLessThanOrEqual(1e-6);
  });
});

describe('losses bounds and monotonicity', () => {
  const grid = Array.from({ length: 41 }, (_, i) => -40 + i); // log pi from -40 to 0
  it('npo simnpo nonnegative', () => {
    const [n, s] = scope(() => [
      read(npoPerSequence(f64(grid), f64(grid.map(() => -5)), 0.1)),
      read(simNpoPerSequence(f64(grid), f64(grid.map(() => 5)), 2.5, 1)),
    ]);
    for (const v of [...n, ...s]) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('npo simnpo increase with log prob', () => {
    const [n, s] = scope(() => [
      read(npoPerSequence(f64(grid), f64(grid.map(() => -5)), 0.1)),
      read(simNpoPerSequence(f64(grid), f64(grid.map(() => 5)), 2.5, 0)),
    ]);
    for (let i = 1; i < grid.length; i++) {
      expect(n[i]).toBeGreaterThan(n[i - 1]);
      expect(s[i]).toBeGreaterThan(s[i - 1]);
    }
  });
});

describe('gradients by finite differences', () => {
  it('objectives pass gradcheck', () => {
    scope(() => {
      const forget = packed([[-0.5, -1.0, -0.2, -2.3], [-0.1, -0.3]]);
      const retain = packed([[-1.2, -0.8, -0.4], [-2.0, -0.6]]);
      for (const kind of ['ga', 'npo', 'simnpo'] as const) {
        const result = gradcheck(
          (f: Tensor, r: Tensor) =>
            unlearningObjective(
              { forget: { tokenLogProbs: f, mask: forget.mask }, retain: { tokenLogProbs: r, mask: retain.mask }, referenceLogProbs: f64([-3.6, -0.3]) },
              { kind, beta: kind === 'npo' ? 0.1 : 2.5, margin: 0.5, forgetWeight: 0.3, retainWeight: 1.5 },
            ).loss,
          [forget.tokenLogProbs, retain.tokenLogProbs],
        );
        expect(result.ok, `${kind}: ${JSON.stringify(result.mismatches.slice(0, 2))}`).toBe(true);
      }
    });
  });
});

/** Deterministic pseudo-random values in [-2, 2). */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 4 - 2;
  }
  return out;
}

describe('log-softmax input', () => {
  it('logit shift changes nothing', () => {
    const [B, T, V] = [2, 5, 7];
    const ids = fromArray(Int32Array.from([1, 4, 2, 6, 0, 3, 3, 5, 1, 2]), [B, T], { dtype: 'i32' });
    const completion = fromArray(Float64Array.from([0, 0, 1, 1, 1, 0, 1, 1, 1, 0]), [B, T], { dtype: 'f64' });
    const losses = (policyLogits: Tensor, referenceLogits: Tensor) =>
      scope(() => {
        const forget = responseLogProbs(policyLogits, ids, completion);
        const ref = sequenceSums(responseLogProbs(referenceLogits, ids, completion)).sum; // (B)
        return [
          read(gaLoss(forget))[0],
          read(npoLoss(forget, ref, 0.1))[0],
          read(simNpoLoss(forget, 2.5, 1))[0],
        ];
      });
    const result = scope(() => {
      const policy = fromArray(values(B * T * V, 7), [B, T, V], { dtype: 'f64' });
      const reference = fromArray(values(B * T * V, 11), [B, T, V], { dtype: 'f64' });
      const shift = fromArray(values(B * T, 13).map((v) => v * 50), [B, T, 1], { dtype: 'f64' }); // per position
      return {
        base: losses(policy, reference),
        policyShifted: losses(add(policy, shift), reference),
        referenceShifted: losses(policy, add(reference, 30)),
      };
    });
    ids.dispose();
    completion.dispose();
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(result.policyShifted[i] - result.base[i])).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(result.referenceShifted[i] - result.base[i])).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('input errors', () => {
  it('bad beta is rejected', () => {
    scope(() => {
      expect(() => simNpoLoss(packed([[-1]]), 0)).toThrow(UnlearningConfigError);
      expect(() => npoLoss(packed([[-1]]), f64([-1]), -1)).toThrow(/beta = -1/);
    });
  });

  it('mismatched shapes are rejected', () => {
    scope(() => {
      const lp = packed([[-1, -2], [-1]]);
      expect(() => npoLoss(lp, f64([-1]), 0.1)).toThrow(LossInputError);
      expect(() => gaLoss({ tokenLogProbs: lp.tokenLogProbs, mask: f64([1, 1]) })).toThrow(/same shape/);
      expect(() => unlearningObjective({ forget: lp }, { kind: 'simnpo', beta: 1, margin: 0, forgetWeight: 1, retainWeight: 1 })).toThrow(/no retain batch/);
    });
  });
});
