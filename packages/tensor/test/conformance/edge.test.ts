// Edge cases on the backend under test: empty and size-1 tensors, non-contiguous views, extreme and
// NaN inputs, argmax ties, and the wasm backend's threaded and single-threaded paths agreeing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { checkNoLeaks } from '../helpers.js';
import { BACKENDS, checkCase, expectClose, HOST, input, SINGLE_THREAD_WASM } from './harness.js';

checkNoLeaks();

const cpu = (values: number[], shape: number[] = [values.length]) => T.fromArray(values, shape, { backend: 'cpu' });
const INF = Number.POSITIVE_INFINITY;

describe.each(BACKENDS)('%s edge cases', (backend) => {
  it('empty tensors through every family', async () => {
    const fn = (x: T.Tensor, y: T.Tensor) => T.add(T.sum(T.exp(x), 0), T.matmul(T.transpose(y), T.softmax(y, -1)).sum(1));
    await checkCase(backend, { inputs: () => [input([0, 4], 1), input([0, 4], 2)], fn, grad: [0, 1] });
    await checkCase(backend, { inputs: () => [input([3, 0], 3), input([0, 5], 4)], fn: T.matmul, grad: [0, 1] });
  });

  it('size-one tensors and scalars', async () => {
    await checkCase(backend, { inputs: () => [input([], 5), input([1, 1], 6)], fn: (a, b) => T.softmax(T.mul(T.exp(a), b), 0), grad: [0, 1] });
    await checkCase(backend, { inputs: () => [input([1, 1], 7), input([1, 1], 8)], fn: T.matmul, grad: [0, 1] });
  });

  it('non-contiguous views as inputs', async () => {
    // transposed, strided slice and broadcast views feed unary, binary, reduction and softmax kernels
    const fn = (x: T.Tensor, y: T.Tensor) => {
      const strided = T.slice(x, [0, 1], [8, 9], [2, 3]); // (4, 3)
      const transposed = T.transpose(y); // (4, 3)
      const broadcast = T.broadcastTo(T.slice(y, [0, 0], [1, 4]), [3, 4]); // (3, 4)
      return T.add(T.tanh(T.mul(strided, transposed)), T.softmax(T.transpose(broadcast), 0));
    };
    await checkCase(backend, { inputs: () => [input([8, 9], 9), input([3, 4], 10)], fn, grad: [0, 1], tolerance: { atol: 1e-6, rtol: 4e-6 } });
  });

  it('fully -inf softmax rows give zeros', async () => {
    const x = () => [cpu([-INF, -INF, -INF, -INF, 1, 2, -INF, 3], [2, 4])];
    await checkCase(backend, { inputs: x, fn: (t) => T.softmax(t, -1) });
    await checkCase(backend, { inputs: x, fn: (t) => T.logSoftmax(t, -1) });
  });

  it('large inputs saturate like the reference', async () => {
    const big = () => [cpu([-1e4, -104, -88, -20, 0, 20, 88, 89, 1e4, -0, 3e38, -3e38])];
    for (const fn of [T.exp, T.expm1, T.tanh, T.sigmoid, T.softplus, T.logSigmoid, T.silu, T.erf, (x: T.Tensor) => T.gelu(x), (x: T.Tensor) => T.gelu(x, 'tanh')]) {
      await checkCase(backend, { inputs: big, fn, tolerance: { atol: 1e-6, rtol: 4e-6 } });
    }
    await checkCase(backend, { inputs: big, fn: (x) => T.logSoftmax(T.reshape(x, [3, 4]), -1), tolerance: { atol: 1e-6, rtol: 4e-6 } });
  });

  it('nan propagates through kernels', async () => {
    const withNan = () => [cpu([1, Number.NaN, 3, 4, 5, 6, 7, 8], [2, 4]), cpu([1, 2, 3, 4, 5, 6, 7, 8], [4, 2])];
    for (const fn of [(a: T.Tensor) => T.exp(a), (a: T.Tensor, b: T.Tensor) => T.add(a, T.transpose(b)), (a: T.Tensor) => T.max(a, 1), (a: T.Tensor) => T.softmax(a, -1), (a: T.Tensor) => T.layerNorm(a), T.matmul]) {
      await checkCase(backend, { inputs: withNan, fn });
    }
    await checkCase(backend, { inputs: () => [cpu([2, 7, Number.NaN, 7, 1])], fn: (a) => T.argmax(a) });
  });

  it('argmax ties pick the first index', async () => {
    // 7 at 100 and at 900 of 1024: the answer is 100, wherever a block or thread boundary falls
    const values = new Array<number>(1024).fill(0);
    values[100] = 7;
    values[900] = 7;
    const reference = T.fromArray(values, [1024], { backend: 'cpu' });
    const x = await reference.to(backend);
    reference.dispose();
    T.scope(() => {
      expect(x.argmax().dataSync()[0]).toBe(100);
      expect(T.argmin(T.neg(x)).dataSync()[0]).toBe(100);
    });
    x.dispose();
  });
});

describe(`wasm threads on and off in ${HOST}`, () => {
  // Each output element is computed by one thread with the same operation order whatever the split,
  // so the threaded and single-threaded results must be bit-for-bit identical. In a browser the workers
  // start only while the page is idle, hence the wait for them before the first job.
  const threaded = () => T.getBackend('wasm') as T.WasmBackend;
  beforeAll(() => threaded().ready());

  const tall = (a: T.Tensor) => T.concat([a, a, a, a], 0); // (1200, 200): 240k elements, past the parallel threshold
  const ops: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor][] = [
    ['matmul 300x200x150', (a, b) => T.matmul(a, b)],
    ['transposed batched matmul', (a, b) => T.matmul(T.transpose(T.reshape(a, [6, 50, 200])), T.slice(T.transpose(b), [0, 0], [50, 150]))],
    ['unary and binary over 240k', (a) => T.add(T.gelu(tall(a)), T.exp(T.mul(tall(a), 0.5)))],
    ['broadcast add over rows', (a, b) => T.mul(T.add(tall(a), T.slice(T.transpose(b), [0, 0], [1, 200])), 3)],
  ];
  it.each(ops)('%s identical', async (_name, fn) => {
    const a = input([300, 200], 11);
    const b = input([200, 150], 12);
    const [a1, b1, aN, bN] = await Promise.all([a.to(SINGLE_THREAD_WASM), b.to(SINGLE_THREAD_WASM), a.to('wasm'), b.to('wasm')]);
    try {
      T.scope(() => {
        const single = fn(a1, b1);
        const jobsBefore = threaded().threadStats.parallelJobs;
        const many = fn(aN, bN);
        expect(threaded().limits.threads).toBeGreaterThan(T.getBackend(SINGLE_THREAD_WASM).limits.threads);
        expect(threaded().threadStats.parallelJobs, 'jobs the workers took part in').toBeGreaterThan(jobsBefore);
        expect(Array.from(many.dataSync())).toEqual(Array.from(single.dataSync()));
        expectClose(many, fn(a, b), { atol: 2e-4, rtol: 1e-4 }, 'threaded vs cpu');
      });
    } finally {
      for (const t of [a, b, a1, b1, aN, bN]) t.dispose();
    }
  });
});
