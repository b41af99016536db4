// The spec's test vectors: two forget rows (|y| = 4 and 2), their reference log-probs, and a retain
// batch whose token-mean NLL is 1. Values and per-token gradients of the batch loss are the spec's,
// which were worked out with softplus/sigmoid by hand; gradients come from autograd on f64 leaves.
import { scope, valueAndGrad } from '@lab/tensor';
import { describe, expect, it } from 'vitest';
import {
  gaLoss,
  marginFromCodeDelta,
  npoLoss,
  retainNll,
  simNpoLoss,
  simNpoPerSequence,
  unlearningObjective,
} from '../src/losses.js';
import { expectClose, f64, packed } from './helpers.js';

const FORGET = [
  [-0.5, -1.0, -0.2, -2.3],
  [-0.1, -0.3],
];
const REFERENCE_SUMS = [-3.6, -0.3];
const RETAIN = [
  [-1.2, -0.8, -0.4],
  [-2.0, -0.6],
];
const TOL = 1e-6;

/** Value and per-token gradient (masked positions dropped) of a loss of the forget batch. */
function forgetGrad(loss: (lp: ReturnType<typeof packed>) => ReturnType<typeof gaLoss>): { value: number; grads: number[][] } {
  return scope(() => {
    const input = packed(FORGET);
    const fn = valueAndGrad((t: typeof input.tokenLogProbs) => loss({ tokenLogProbs: t, mask: input.mask }));
    const { value, grads } = fn(input.tokenLogProbs);
    const g = grads[0].dataSync();
    const width = input.tokenLogProbs.shape[1];
    return {
      value: value.dataSync()[0],
      grads: FORGET.map((row, b) => row.map((_, t) => g[b * width + t])),
    };
  });
}

describe('spec test vectors', () => {
  it('simnpo gamma zero value grad', () => {
    const { value, grads } = forgetGrad((lp) => simNpoLoss(lp, 2.5, 0));
    expect(Math.abs(value - 0.221187)).toBeLessThanOrEqual(TOL);
    expectClose(grads[0], [0.018965, 0.018965, 0.018965, 0.018965], TOL);
    expectClose(grads[1], [0.18877, 0.18877], TOL);
  });

  it('simnpo per sequence values', () => {
    const values = scope(() => {
      return simNpoPerSequence(f64([-4.0, -0.4]), f64([4, 2]), 2.5, 0).dataSync();
    });
    expectClose(values, [0.063112, 0.379262], TOL);
  });

  it('simnpo paper margin value grad', () => {
    const { value, grads } = forgetGrad((lp) => simNpoLoss(lp, 2.5, 0.5));
    expect(Math.abs(value - 0.32803)).toBeLessThanOrEqual(TOL);
    expectClose(grads[0], [0.029801, 0.029801, 0.029801, 0.029801], TOL);
    expectClose(grads[1], [0.25, 0.25], TOL);
  });

  it('simnpo code delta converts', () => {
    // Code form beta * (avgNLL - delta) with delta 0.5 is the paper form with gamma = 2.5 * 0.5 = 1.25.
    expect(marginFromCodeDelta(0.5, 2.5)).toBe(1.25);
    const { value } = forgetGrad((lp) => simNpoLoss(lp, 2.5, marginFromCodeDelta(0.5, 2.5)));
    expect(Math.abs(value - 0.55552)).toBeLessThanOrEqual(TOL);
  });

  it('npo beta 0.1 value grad', () => {
    const { value, grads } = forgetGrad((lp) => npoLoss(lp, f64(REFERENCE_SUMS), 0.1));
    expect(Math.abs(value - 13.615068)).toBeLessThanOrEqual(TOL);
    expectClose(grads[0], [0.490001, 0.490001, 0.490001, 0.490001], TOL);
    expectClose(grads[1], [0.4975, 0.4975], TOL);
  });

  it('ga token mean value grad', () => {
    const { value, grads } = forgetGrad((lp) => gaLoss(lp));
    expect(Math.abs(value - -0.733333)).toBeLessThanOrEqual(TOL);
    expectClose([...grads[0], ...grads[1]], new Array(6).fill(0.166667), TOL);
  });

  it('retain nll value grad', () => {
    const out = scope(() => {
      const input = packed(RETAIN);
      const fn = valueAndGrad((t: typeof input.tokenLogProbs) => retainNll({ tokenLogProbs: t, mask: input.mask }));
      const { value, grads } = fn(input.tokenLogProbs);
      return { value: value.dataSync()[0], grads: [...grads[0].dataSync()] };
    });
    expect(Math.abs(out.value - 1)).toBeLessThanOrEqual(TOL);
    // Row 1 has one padded position (index 5), whose gradient must be 0.
    expectClose(out.grads, [-0.2, -0.2, -0.2, -0.2, -0.2, 0], TOL);
  });

  it('full objectives match spec', () => {
    const values = scope(() => {
      const inputs = { forget: packed(FORGET), retain: packed(RETAIN), referenceLogProbs: f64(REFERENCE_SUMS) };
      const run = (kind: 'ga' | 'npo' | 'simnpo', beta: number, forgetWeight: number) =>
        unlearningObjective(inputs, { kind, beta, margin: 0, forgetWeight, retainWeight: 1 }).loss.dataSync()[0];
      return { simnpo: run('simnpo', 2.5, 0.1375), npo: run('npo', 0.1, 1), graddiff: run('ga', 1, 1) };
    });
    expect(Math.abs(values.simnpo - 1.030413)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(values.npo - 14.615068)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(values.graddiff - 0.266667)).toBeLessThanOrEqual(TOL);
  });

  it('simnpo margin is added outside beta', () => {
    // Known fault B08: beta 2.5, gamma 1, |y| 4, log pi -8. Paper form: argument 2.5*2 - 1 = 4,
    // (2/2.5) * log(1 + e^-4) = 0.014520. The code form beta*(avgNLL - delta) gives 0.063112.
    const value = scope(() => simNpoPerSequence(f64([-8]), f64([4]), 2.5, 1).dataSync()[0]);
    expect(Math.abs(value - 0.01452)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(value - 0.063112)).toBeGreaterThan(0.04);
  });

  it('simnpo stable at low prob', () => {
    // Mean log-prob -50, beta 2.5: (2/2.5) * log1p(e^-125) = 0.8 * e^-125 = 4.13e-55, never NaN.
    const value = scope(() => simNpoPerSequence(f64([-200]), f64([4]), 2.5, 0).dataSync()[0]);
    expect(Number.isFinite(value)).toBe(true);
    expect(Math.abs(value / (0.8 * Math.exp(-125)) - 1)).toBeLessThanOrEqual(1e-9);
  });
});
