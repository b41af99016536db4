import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AdamW,
  clipGradNorm,
  type DType,
  fromArray,
  Linear,
  loadSafetensorsBytes,
  memory,
  optim,
  OptimizerStateError,
  saveSafetensorsBytes,
  scope,
  SGD,
  type Tensor,
  zeros,
} from '../src/index.js';
import { expectAllClose, randomValues } from './helpers.js';

// Compared with the count before each test, so a leak fails only the test that made it.
let liveBefore = 0;
beforeEach(() => {
  liveBefore = memory().tensors;
});
afterEach(() => {
  expect(memory().tensors - liveBefore, 'tensors leaked by this test').toBe(0);
});

const SHAPES = [[2, 3], [4]] as const;

/** Leaf parameters with fixed starting values; the caller disposes them. */
function makeParams(dtype: DType): Tensor[] {
  return SHAPES.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fromArray(randomValues(size, 100 + i, -1, 1), shape, { dtype }).setRequiresGrad();
  });
}

/** Fixed gradients for each step and parameter, some large and some tiny so that eps matters little. */
function makeGradients(steps: number): number[][][] {
  return Array.from({ length: steps }, (_, t) =>
    SHAPES.map((shape, i) => randomValues(shape.reduce((a, b) => a * b, 1), 1000 + 10 * t + i, -2, 2)),
  );
}

/** Sets each parameter's .grad to the given values through a real backward of sum(p * g). */
function applyGradients(params: Tensor[], grads: number[][]): void {
  scope(() => {
    let loss: Tensor | null = null;
    params.forEach((p, i) => {
      const term = p.mul(fromArray(grads[i], p.shape, { dtype: p.dtype })).sum();
      loss = loss === null ? term : loss.add(term);
    });
    loss!.backward();
  });
}

/** Runs the optimizer over the fixed gradients, returning every parameter's values after each step. */
function runOptimizer(optimizer: optim.Optimizer, params: Tensor[], gradients: number[][][]): number[][][] {
  const history: number[][][] = [];
  for (const grads of gradients) {
    optimizer.zeroGrad();
    applyGradients(params, grads);
    optimizer.step();
    history.push(params.map((p) => Array.from(p.dataSync())));
  }
  return history;
}

interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Textbook AdamW in float64 loops: bias-corrected moments, decay applied to the pre-step value. */
function adamwReference(start: number[], gradients: number[][], c: AdamWConfig): number[][] {
  const p = [...start];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const history: number[][] = [];
  gradients.forEach((g, step) => {
    const t = step + 1;
    for (let j = 0; j < p.length; j++) {
      m[j] = c.beta1 * m[j] + (1 - c.beta1) * g[j];
      v[j] = c.beta2 * v[j] + (1 - c.beta2) * g[j] * g[j];
      const mHat = m[j] / (1 - c.beta1 ** t);
      const vHat = v[j] / (1 - c.beta2 ** t);
      p[j] = p[j] - c.lr * c.weightDecay * p[j] - (c.lr * mHat) / (Math.sqrt(vHat) + c.eps);
    }
    history.push([...p]);
  });
  return history;
}

interface SGDConfig {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** SGD with momentum in float64 loops, written from the update rule PyTorch documents. */
function sgdReference(start: number[], gradients: number[][], c: SGDConfig): number[][] {
  const p = [...start];
  const buffer: number[] = [];
  const history: number[][] = [];
  gradients.forEach((g, step) => {
    for (let j = 0; j < p.length; j++) {
      let d = g[j] + c.weightDecay * p[j];
      if (c.momentum !== 0) {
        buffer[j] = step === 0 ? d : c.momentum * buffer[j] + (1 - c.dampening) * d;
        d = c.nesterov ? d + c.momentum * buffer[j] : buffer[j];
      }
      p[j] -= c.lr * d;
    }
    history.push([...p]);
  });
  return history;
}

function startValues(dtype: DType): number[][] {
  const params = makeParams(dtype);
  const values = params.map((p) => Array.from(p.dataSync()));
  for (const p of params) p.dispose();
  return values;
}

describe('AdamW', () => {
  const config: AdamWConfig = { lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
  const gradients = makeGradients(6);

  for (const [dtype, tolerance] of [['f64', { atol: 1e-12, rtol: 1e-12 }], ['f32', { atol: 2e-6, rtol: 1e-5 }]] as const) {
    it(`matches float64 reference in ${dtype}`, () => {
      const params = makeParams(dtype);
      const start = startValues(dtype);
      const optimizer = new AdamW(params, { lr: config.lr, betas: [config.beta1, config.beta2], eps: config.eps, weightDecay: config.weightDecay });
      const history = runOptimizer(optimizer, params, gradients);
      SHAPES.forEach((_, i) => {
        const expected = adamwReference(start[i], gradients.map((g) => g[i]), config);
        history.forEach((values, step) => expectAllClose(values[i], expected[step], tolerance));
      });
      optimizer.dispose();
      for (const p of params) p.dispose();
    });
  }

  it('bias correction in first step', () => {
    // At t = 1 the corrected moments are m = g and v = g^2, so each element moves by
    // lr * g / (|g| + eps), almost exactly lr. Without correction it would move by
    // lr * 0.1 * g / (sqrt(0.001) * |g|), about 3.16 * lr.
    const p = fromArray([0.5, -0.25, 2], [3], { dtype: 'f64' }).setRequiresGrad();
    const g = [0.3, -4, 1e-3];
    const optimizer = new AdamW([p], { lr: 0.1, weightDecay: 0 });
    applyGradients([p], [g]);
    optimizer.step();
    const expected = [0.5, -0.25, 2].map((x, j) => x - (0.1 * g[j]) / (Math.abs(g[j]) + 1e-8));
    expectAllClose(p, expected, { atol: 1e-14, rtol: 0 });
    optimizer.dispose();
    p.dispose();
  });

  it('skips parameters without gradient', () => {
    const [a, b] = makeParams('f64');
    const before = Array.from(b.dataSync());
    const optimizer = new AdamW([a, b], { lr: 0.1 });
    scope(() => a.sum().backward());
    optimizer.step();
    expect(Array.from(b.dataSync())).toEqual(before);
    expect(scope(() => optimizer.state().paramSteps)).toEqual([1, 0]);
    optimizer.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('SGD', () => {
  const gradients = makeGradients(5);
  const cases: [string, SGDConfig][] = [
    ['plain', { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }],
    ['momentum', { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false }],
    ['momentum with dampening', { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0, nesterov: false }],
    ['nesterov', { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true }],
    ['weight decay and momentum', { lr: 0.1, momentum: 0.5, dampening: 0, weightDecay: 0.2, nesterov: false }],
  ];

  for (const [name, config] of cases) {
    it(`matches reference: ${name}`, () => {
      const params = makeParams('f64');
      const start = startValues('f64');
      const optimizer = new SGD(params, config);
      const history = runOptimizer(optimizer, params, gradients);
      SHAPES.forEach((_, i) => {
        const expected = sgdReference(start[i], gradients.map((g) => g[i]), config);
        history.forEach((values, step) => expectAllClose(values[i], expected[step], { atol: 1e-13, rtol: 1e-13 }));
      });
      optimizer.dispose();
      for (const p of params) p.dispose();
    });
  }

  it('rejects nesterov without momentum', () => {
    const p = zeros([2]).setRequiresGrad();
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    p.dispose();
  });
});

describe('optimizer step', () => {
  /** Runs one step of mean squared error regression on fixed data. */
  function trainStep(model: Linear, optimizer: optim.Optimizer): void {
    optimizer.zeroGrad();
    scope(() => {
      const x = fromArray(randomValues(8 * 3, 7), [8, 3]);
      const y = fromArray(randomValues(8 * 2, 8), [8, 2]);
      model.forward(x).sub(y).square().mean().backward();
    });
    optimizer.step();
  }

  it('keeps parameter objects in place', () => {
    const model = new Linear(3, 2, { seed: 1 });
    const weight = model.weight;
    const before = Array.from(weight.dataSync());
    const optimizer = new AdamW(model.parameters(), { lr: 0.1 });
    trainStep(model, optimizer);
    expect(model.weight).toBe(weight);
    expect(optimizer.params[0]).toBe(weight);
    expect(Array.from(weight.dataSync())).not.toEqual(before);
    optimizer.dispose();
    model.dispose();
  });

  it('memory stays flat across steps', () => {
    const model = new Linear(3, 2, { seed: 2 });
    const optimizer = new AdamW(model.parameters(), { lr: 0.01 });
    trainStep(model, optimizer);
    trainStep(model, optimizer);
    const after2 = memory();
    for (let i = 0; i < 8; i++) trainStep(model, optimizer);
    const after10 = memory();
    expect(after10.tensors).toBe(after2.tensors);
    expect(after10.buffers).toBe(after2.buffers);
    expect(after10.bytes).toBe(after2.bytes);
    optimizer.dispose();
    model.dispose();
  });

  it('zeroGrad clears gradients', () => {
    const model = new Linear(3, 2, { seed: 3 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    trainStep(model, optimizer);
    expect(model.weight.grad).not.toBeNull();
    optimizer.zeroGrad();
    expect(model.weight.grad).toBeNull();
    expect(model.bias!.grad).toBeNull();
    optimizer.dispose();
    model.dispose();
  });

  it('schedule sets lr per step', () => {
    // With momentum 0 and gradient g = 1, step i moves the parameter by -schedule(i).
    const schedule = optim.warmupLinearSchedule({ peakLr: 0.4, warmupSteps: 2, totalSteps: 4, minLr: 0 });
    const p = fromArray([0], [1], { dtype: 'f64' }).setRequiresGrad();
    const optimizer = new SGD([p], { lr: 123, schedule });
    const positions: number[] = [];
    const lrs: number[] = [];
    for (let i = 0; i < 5; i++) {
      optimizer.zeroGrad();
      applyGradients([p], [[1]]);
      optimizer.step();
      lrs.push(optimizer.lr);
      positions.push(p.dataSync()[0]);
    }
    // lr: 0.2, 0.4 (warm-up), 0.4, 0.2 (decay from 0.4 to 0 over steps 2..4), 0 (floor).
    expectAllClose(lrs, [0.2, 0.4, 0.4, 0.2, 0], { atol: 1e-15, rtol: 0 });
    expectAllClose(positions, [-0.2, -0.6, -1.0, -1.2, -1.2], { atol: 1e-14, rtol: 0 });
    optimizer.dispose();
    p.dispose();
  });
});

describe('optimizer state', () => {
  function batch(step: number): [Tensor, Tensor] {
    const x = fromArray(randomValues(6 * 4, 50 + step), [6, 4]);
    const y = fromArray(randomValues(6 * 3, 80 + step), [6, 3]);
    return [x, y];
  }

  function train(model: Linear, optimizer: optim.Optimizer, steps: number[]): void {
    for (const step of steps) {
      optimizer.zeroGrad();
      scope(() => {
        const [x, y] = batch(step);
        model.forward(x).sub(y).square().mean().backward();
      });
      optimizer.step();
    }
  }

  it('restore continues bit-identically', async () => {
    const schedule = optim.warmupCosineSchedule({ peakLr: 0.05, warmupSteps: 2, totalSteps: 6 });
    const original = new Linear(4, 3, { seed: 11 });
    const optimizer = new AdamW(original.parameters(), { schedule, weightDecay: 0.05 });
    train(original, optimizer, [0, 1, 2]);

    // Save model and optimizer to safetensors bytes, as a trainer would.
    const saved = scope(() => {
      const { tensors, ...plain } = optimizer.state();
      const all = new Map<string, Tensor>();
      for (const [name, t] of original.stateDict()) all.set(`model.${name}`, t);
      for (const [name, t] of tensors) all.set(`optim.${name}`, t);
      return { all, plain: JSON.stringify(plain) };
    });
    const bytes = await saveSafetensorsBytes(saved.all, { metadata: { optimizer: saved.plain } });
    for (const t of saved.all.values()) t.dispose();

    train(original, optimizer, [3, 4, 5]);
    const expected = original.parameters().map((p) => Array.from(p.dataSync()));

    const restored = new Linear(4, 3, { seed: 999 });
    const restoredOptimizer = new AdamW(restored.parameters(), { schedule, weightDecay: 0.05 });
    const loaded = loadSafetensorsBytes(bytes);
    const prefixed = (prefix: string) =>
      new Map([...loaded.tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
    restored.loadStateDict(prefixed('model.'));
    restoredOptimizer.loadState({ ...JSON.parse(loaded.metadata.optimizer), tensors: prefixed('optim.') });
    for (const t of loaded.tensors.values()) t.dispose();

    expect(restoredOptimizer.stepCount).toBe(3);
    train(restored, restoredOptimizer, [3, 4, 5]);
    const actual = restored.parameters().map((p) => Array.from(p.dataSync()));
    expect(actual).toEqual(expected);

    optimizer.dispose();
    restoredOptimizer.dispose();
    original.dispose();
    restored.dispose();
  });

  it('loadState rejects another kind', () => {
    const model = new Linear(2, 2, { seed: 1 });
    const adam = new AdamW(model.parameters());
    const sgd = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    scope(() => {
      const state = adam.state();
      expect(() => sgd.loadState(state)).toThrow(OptimizerStateError);
      expect(() => sgd.loadState(state)).toThrow(/written by AdamW/);
    });
    adam.dispose();
    sgd.dispose();
    model.dispose();
  });

  it('loadState rejects wrong shape', () => {
    const model = new Linear(2, 2, { seed: 1 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    scope(() => {
      const state = optimizer.state();
      state.tensors.set('0.momentumBuffer', zeros([3, 2]));
      let error: unknown;
      try {
        optimizer.loadState(state);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OptimizerStateError);
      expect((error as OptimizerStateError).key).toBe('0.momentumBuffer');
      expect((error as Error).message).toMatch(/\[3, 2\].*\[2, 2\]/);
    });
    optimizer.dispose();
    model.dispose();
  });

  it('loadState rejects unknown slot', () => {
    const model = new Linear(2, 2, { seed: 1 });
    const optimizer = new AdamW(model.parameters());
    scope(() => {
      const state = optimizer.state();
      state.tensors.set('1.velocity', zeros([2]));
      expect(() => optimizer.loadState(state)).toThrow(/unexpected key "1.velocity"/);
    });
    optimizer.dispose();
    model.dispose();
  });
});

describe('schedules', () => {
  const cosine = optim.warmupCosineSchedule({ peakLr: 1, warmupSteps: 4, totalSteps: 12, minLr: 0.1 });
  const linear = optim.warmupLinearSchedule({ peakLr: 1, warmupSteps: 4, totalSteps: 12, minLr: 0.1 });

  // Warm-up: step i < 4 gives (i + 1) / 4. Decay: progress p = (step - 4) / 8.
  it('cosine warm-up values', () => {
    expect(cosine(0)).toBeCloseTo(0.25, 15);
    expect(cosine(3)).toBeCloseTo(1, 15);
  });

  it('cosine decay values', () => {
    expect(cosine(4)).toBeCloseTo(1, 15); // p = 0
    expect(cosine(6)).toBeCloseTo(0.1 + 0.45 * (1 + Math.SQRT1_2), 15); // p = 1/4, cos = sqrt(2)/2
    expect(cosine(8)).toBeCloseTo(0.55, 15); // p = 1/2, cos = 0
    expect(cosine(12)).toBeCloseTo(0.1, 15); // p = 1
    expect(cosine(1000)).toBeCloseTo(0.1, 15);
  });

  it('linear decay values', () => {
    expect(linear(1)).toBeCloseTo(0.5, 15);
    expect(linear(6)).toBeCloseTo(0.775, 15); // 1 - 0.9 / 4
    expect(linear(10)).toBeCloseTo(0.325, 15); // 1 - 0.9 * 3 / 4
    expect(linear(40)).toBeCloseTo(0.1, 15);
  });

  it('constant ignores step', () => {
    const constant = optim.constantSchedule(3e-4);
    expect(constant(0)).toBe(3e-4);
    expect(constant(10_000)).toBe(3e-4);
  });

  it('rejects totalSteps below warmupSteps', () => {
    expect(() => optim.warmupCosineSchedule({ peakLr: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps = 5/);
  });
});

describe('clipGradNorm', () => {
  function withGrads(grads: number[][]): Tensor[] {
    const params = grads.map((g) => fromArray(g.map(() => 0), [g.length], { dtype: 'f64' }).setRequiresGrad());
    applyGradients(params, grads);
    return params;
  }

  it('scales when above maxNorm', () => {
    // |(3, 4, 12)| = sqrt(9 + 16 + 144) = 13; the scale is 6.5 / (13 + 1e-6).
    const params = withGrads([[3, 4], [12]]);
    const norm = clipGradNorm(params, 6.5);
    const scale = 6.5 / (13 + 1e-6);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 12);
    expectAllClose(params[0].grad!, [3 * scale, 4 * scale], { atol: 1e-13, rtol: 0 });
    expectAllClose(params[1].grad!, [12 * scale], { atol: 1e-13, rtol: 0 });
    norm.dispose();
    for (const p of params) p.dispose();
  });

  it('leaves grads below maxNorm', () => {
    const params = withGrads([[3, 4], [12]]);
    const norm = clipGradNorm(params, 20);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 12);
    expect(Array.from(params[0].grad!.dataSync())).toEqual([3, 4]);
    expect(Array.from(params[1].grad!.dataSync())).toEqual([12]);
    norm.dispose();
    for (const p of params) p.dispose();
  });

  it('skips params without grad', () => {
    const [withGrad] = withGrads([[6, 8]]);
    const without = zeros([5]).setRequiresGrad();
    const norm = clipGradNorm([withGrad, without], 1);
    expect(norm.dataSync()[0]).toBeCloseTo(10, 12);
    expect(without.grad).toBeNull();
    norm.dispose();
    withGrad.dispose();
    without.dispose();
  });
});
