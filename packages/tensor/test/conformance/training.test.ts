// A tiny transformer-style model trained a few AdamW steps on each backend: the losses on the backend
// under test must follow the cpu backend's within f32 tolerance, step after step.
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { BACKENDS, input } from './harness.js';

checkNoLeaks();

const [B, S, C, H, V] = [2, 6, 8, 2, 5];

/** Parameter shapes: attention projections, then a two-layer MLP head over the vocabulary. */
const SHAPES: number[][] = [[C, C], [C, C], [C, C], [C, C], [C, 16], [16], [16, V]];

function forward(x: Tensor, targets: Tensor, [wq, wk, wv, wo, w1, b1, w2]: Tensor[]): Tensor {
  const h = T.layerNorm(x); // (B, S, C)
  const heads = (t: Tensor) => T.transpose(T.reshape(t, [B, S, H, C / H]), 1, 2); // (B, H, S, D)
  const attended = T.attention(heads(T.matmul(h, wq)), heads(T.matmul(h, wk)), heads(T.matmul(h, wv)), { causal: true });
  const merged = T.reshape(T.transpose(attended, 1, 2), [B, S, C]); // (B, S, C)
  const residual = T.add(x, T.matmul(merged, wo)); // (B, S, C)
  const logits = T.matmul(T.gelu(T.add(T.matmul(residual, w1), b1)), w2); // (B, S, V)
  return T.crossEntropy(logits, targets);
}

/** AdamW written with ops: m, v moments with bias correction and decoupled weight decay. */
function adamwStep(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], step: number): void {
  const [lr, beta1, beta2, eps, decay] = [0.02, 0.9, 0.999, 1e-8, 0.01];
  for (let i = 0; i < params.length; i++) {
    const [p, g] = [params[i], grads[i]];
    const next = T.noGrad(() =>
      T.scope(() => {
        const m1 = T.add(T.mul(m[i], beta1), T.mul(g, 1 - beta1));
        const v1 = T.add(T.mul(v[i], beta2), T.mul(T.mul(g, g), 1 - beta2));
        const update = T.div(T.div(m1, 1 - beta1 ** step), T.add(T.sqrt(T.div(v1, 1 - beta2 ** step)), eps));
        return [T.sub(T.mul(p, 1 - lr * decay), T.mul(update, lr)), m1, v1];
      }),
    );
    for (const old of [p, m[i], v[i]]) old.dispose();
    [params[i], m[i], v[i]] = next;
  }
}

async function trainLosses(backend: string, steps: number): Promise<number[]> {
  const onBackend = async (t: Tensor) => {
    const moved = await t.to(backend);
    t.dispose();
    return moved;
  };
  const x = await onBackend(input([B, S, C], 1));
  const targets = await onBackend(T.fromArray([0, 1, 2, 3, 4, 0, 1, 1, 2, 3, 3, 4], [B, S], { dtype: 'i32', backend: 'cpu' }));
  const params = await Promise.all(SHAPES.map((shape, i) => onBackend(input(shape, 10 + i, -0.5, 0.5))));
  const m = params.map((p) => T.zerosLike(p));
  const v = params.map((p) => T.zerosLike(p));
  const losses: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const { value, grads } = T.valueAndGrad((...ps: Tensor[]) => forward(x, targets, ps))(...params);
    losses.push(value.dataSync()[0]);
    value.dispose();
    adamwStep(params, grads, m, v, step);
    for (const g of grads) g.dispose();
  }
  for (const t of [x, targets, ...params, ...m, ...v]) t.dispose();
  return losses;
}

describe.each(BACKENDS)('%s training smoke test', (backend) => {
  it('adamw losses follow the cpu backend', async () => {
    const steps = 6;
    const reference = await trainLosses('cpu', steps);
    const actual = await trainLosses(backend, steps);
    // the model learns: the loss falls over the steps on the reference
    expect(reference[steps - 1]).toBeLessThan(reference[0]);
    for (let i = 0; i < steps; i++) {
      expect(Math.abs(actual[i] - reference[i]), `step ${i + 1}: ${actual[i]} vs ${reference[i]}`).toBeLessThan(1e-4 * Math.abs(reference[i]) + 1e-5);
    }
  });
});
