// matmul and the fused primitives (softmax, logSoftmax, crossEntropy, layerNorm, rmsNorm, attention)
// against the cpu backend, forward and backward, on shapes that cross the kernels' block edges.
import { describe, it } from 'vitest';
import * as T from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { BACKENDS, checkCase, input, type Tolerance } from './harness.js';

checkNoLeaks();

/** f32 dot products of length k: each term rounds once, the sum drifts by about sqrt(k) ulp. */
function dotTolerance(k: number): Tolerance {
  return { atol: 2e-6 * Math.sqrt(k), rtol: 1e-5 };
}

describe.each(BACKENDS)('%s matmul conformance', (backend) => {
  // (M, K, N): below one micro-tile, ragged edges of the 5 x 8 tile, and K past one 256-deep block
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 9],
    [33, 300, 17],
    [130, 260, 70],
  ];
  it.each(shapes)('plain %i x %i times %i columns', async (m, k, n) => {
    await checkCase(backend, { inputs: () => [input([m, k], 60), input([k, n], 61)], fn: T.matmul, grad: [0, 1], tolerance: dotTolerance(k), gradTolerance: dotTolerance(Math.max(m, n)) });
  });

  it('transposed operands without copies', async () => {
    const fn = (a: T.Tensor, b: T.Tensor) => T.matmul(T.transpose(a), T.transpose(b));
    await checkCase(backend, { inputs: () => [input([40, 23], 62), input([31, 40], 63)], fn, grad: [0, 1], tolerance: dotTolerance(40) });
  });

  it('batched with a broadcast operand', async () => {
    await checkCase(backend, { inputs: () => [input([3, 2, 11, 19], 64), input([19, 6], 65)], fn: T.matmul, grad: [0, 1], tolerance: dotTolerance(19) });
  });

  it('vector operands promote and squeeze', async () => {
    await checkCase(backend, { inputs: () => [input([21], 66), input([21, 4], 67)], fn: T.matmul, grad: [0, 1], tolerance: dotTolerance(21) });
    await checkCase(backend, { inputs: () => [input([5, 21], 68), input([21], 69)], fn: T.matmul, grad: [0, 1], tolerance: dotTolerance(21) });
  });

  it('sliced operand with row stride', async () => {
    const fn = (a: T.Tensor, b: T.Tensor) => T.matmul(T.slice(a, [1, 2], [17, 30], [2, 1]), b);
    await checkCase(backend, { inputs: () => [input([18, 31], 70), input([28, 12], 71)], fn, grad: [0, 1], tolerance: dotTolerance(28) });
  });

  it('f64 and i32 products match exactly', async () => {
    await checkCase(backend, { inputs: () => [input([6, 7], 72, -1, 1, 'f64'), input([7, 3], 73, -1, 1, 'f64')], fn: T.matmul });
    await checkCase(backend, { inputs: () => [input([6, 7], 74, -9, 9, 'i32'), input([7, 3], 75, -9, 9, 'i32')], fn: T.matmul });
  });
});

describe.each(BACKENDS)('%s fused op conformance', (backend) => {
  it.each([
    ['softmax', T.softmax],
    ['logSoftmax', T.logSoftmax],
  ] as const)('%s over last and first axis', async (_name, fn) => {
    await checkCase(backend, { inputs: () => [input([6, 37], 80, -8, 8)], fn: (x) => fn(x, -1), grad: [0], tolerance: { atol: 1e-6, rtol: 4e-6 } });
    await checkCase(backend, { inputs: () => [input([6, 37], 81, -8, 8)], fn: (x) => fn(x, 0), grad: [0], tolerance: { atol: 1e-6, rtol: 4e-6 } });
  });

  it('crossEntropy with ignored rows and smoothing', async () => {
    const targets = () => T.fromArray([3, -100, 0, 9, 9, 1], [6], { dtype: 'i32', backend: 'cpu' });
    await checkCase(backend, { inputs: () => [input([6, 10], 82, -4, 4), targets()], fn: (z, t) => T.crossEntropy(z, t, { reduction: 'none' }), grad: [0] });
    await checkCase(backend, { inputs: () => [input([6, 10], 83, -4, 4), targets()], fn: (z, t) => T.crossEntropy(z, t, { labelSmoothing: 0.1 }), grad: [0] });
  });

  it('layerNorm with weight and bias', async () => {
    await checkCase(backend, { inputs: () => [input([4, 3, 22], 84, -3, 5), input([22], 85), input([22], 86)], fn: (x, w, b) => T.layerNorm(x, w, b), grad: [0, 1, 2] });
  });

  it('rmsNorm with weight', async () => {
    await checkCase(backend, { inputs: () => [input([5, 19], 87, -3, 3), input([19], 88)], fn: (x, w) => T.rmsNorm(x, w), grad: [0, 1] });
  });

  it('attention causal with grouped heads', async () => {
    // q (B=2, H=4, T=5, D=8), k and v with Hkv=2 and S=7 > T: the causal window is shifted by S - T
    const inputs = () => [input([2, 4, 5, 8], 89), input([2, 2, 7, 8], 90), input([2, 2, 7, 6], 91)];
    await checkCase(backend, { inputs, fn: (q, k, v) => T.attention(q, k, v, { causal: true }), grad: [0, 1, 2] });
  });

  it('attention with a broadcast mask', async () => {
    // mask (1, 1, 5, 7) with one query row fully masked: its output must be zeros
    const mask = () => T.scope(() => T.gt(T.mul(input([1, 1, 5, 7], 92), T.fromArray([1, 1, -1, 1, 1], [5, 1], { backend: 'cpu' }).add(T.fromArray([0, 0, -5, 0, 0], [5, 1], { backend: 'cpu' }))), -0.6));
    const inputs = () => [input([1, 2, 5, 4], 93), input([1, 2, 7, 4], 94), input([1, 2, 7, 4], 95), mask()];
    await checkCase(backend, { inputs, fn: (q, k, v, m) => T.attention(q, k, v, { mask: m, scale: 0.7 }), grad: [0, 1, 2] });
  });
});
