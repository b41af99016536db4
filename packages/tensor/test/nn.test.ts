import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Dropout,
  Embedding,
  fromArray,
  LayerNorm,
  Linear,
  memory,
  Module,
  ModuleList,
  nn,
  ones,
  RMSNorm,
  scope,
  Sequential,
  SGD,
  StateDictError,
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

class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(dim: number, seed: number) {
    super();
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { seed }));
    this.proj = this.registerModule('proj', new Linear(dim, dim, { seed: seed + 1 }));
  }
}

class Block extends Module {
  readonly ln: LayerNorm;
  readonly attn: Attention;
  constructor(dim: number, seed: number) {
    super();
    this.ln = this.registerModule('ln', new LayerNorm(dim));
    this.attn = this.registerModule('attn', new Attention(dim, seed));
  }
}

/** A module tree shaped like a small transformer, with one parameter of its own registered last. */
class Tree extends Module {
  readonly embed: Embedding;
  readonly blocks: ModuleList<Block>;
  readonly head: Linear;
  readonly scale: Tensor;
  constructor(seed: number) {
    super();
    this.embed = this.registerModule('embed', new Embedding(5, 4, { seed }));
    this.blocks = this.registerModule('blocks', new ModuleList([new Block(4, seed + 10), new Block(4, seed + 20)]));
    this.head = this.registerModule('head', new Linear(4, 5, { bias: false, seed: seed + 30 }));
    this.scale = this.registerParameter('scale', ones([1]));
  }
}

const TREE_NAMES = [
  'scale',
  'embed.weight',
  'blocks.0.ln.weight',
  'blocks.0.ln.bias',
  'blocks.0.attn.qkv.weight',
  'blocks.0.attn.qkv.bias',
  'blocks.0.attn.proj.weight',
  'blocks.0.attn.proj.bias',
  'blocks.1.ln.weight',
  'blocks.1.ln.bias',
  'blocks.1.attn.qkv.weight',
  'blocks.1.attn.qkv.bias',
  'blocks.1.attn.proj.weight',
  'blocks.1.attn.proj.bias',
  'head.weight',
];

function valuesOf(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('Module', () => {
  it('namedParameters in PyTorch order', () => {
    const tree = new Tree(1);
    // Own parameters come first (as in PyTorch), then children depth first in registration order.
    expect(tree.namedParameters().map(([name]) => name)).toEqual(TREE_NAMES);
    expect(tree.parameters().length).toBe(TREE_NAMES.length);
    expect(tree.parameterCount()).toBe(1 + 20 + 2 * (8 + 48 + 12 + 16 + 4) + 20);
    tree.dispose();
  });

  it('parameters outlive the creating scope', () => {
    const tree = scope(() => new Tree(1));
    expect(tree.parameters().every((p) => !p.isDisposed)).toBe(true);
    expect(tree.parameters().every((p) => p.requiresGrad)).toBe(true);
    tree.dispose();
  });

  it('stateDict round trip', () => {
    const source = new Tree(1);
    const target = new Tree(2);
    scope(() => {
      const state = source.stateDict();
      expect([...state.keys()]).toEqual(TREE_NAMES);
      const result = target.loadStateDict(state);
      expect(result.missingKeys).toEqual([]);
      expect(result.unexpectedKeys).toEqual([]);
    });
    for (const [name, p] of target.namedParameters()) {
      const original = source.namedParameters().find(([n]) => n === name)![1];
      expect(valuesOf(p), name).toEqual(valuesOf(original));
    }
    source.dispose();
    target.dispose();
  });

  it('stateDict views are snapshots', () => {
    const model = new Linear(2, 1, { seed: 3 });
    const optimizer = new SGD(model.parameters(), { lr: 0.5 });
    const state = model.stateDict();
    const before = valuesOf(state.get('weight')!);
    scope(() => model.forward(ones([1, 2])).sum().backward());
    optimizer.step();
    // The optimizer replaced the weight's storage; the view still contains the old values.
    expect(valuesOf(state.get('weight')!)).toEqual(before);
    expect(valuesOf(model.weight)).not.toEqual(before);
    for (const t of state.values()) t.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('strict load names missing key', () => {
    const model = new Tree(1);
    scope(() => {
      const state = model.stateDict();
      state.delete('blocks.1.attn.qkv.bias');
      const error = catchError(() => model.loadStateDict(state)) as StateDictError;
      expect(error).toBeInstanceOf(StateDictError);
      expect(error.problem).toBe('missing');
      expect(error.key).toBe('blocks.1.attn.qkv.bias');
      expect(error.message).toContain('"blocks.1.attn.qkv.bias"');
    });
    model.dispose();
  });

  it('strict load names unexpected key', () => {
    const model = new Linear(2, 2, { seed: 1 });
    scope(() => {
      const state = model.stateDict();
      state.set('bias_extra', zeros([2]));
      const error = catchError(() => model.loadStateDict(state)) as StateDictError;
      expect(error.problem).toBe('unexpected');
      expect(error.key).toBe('bias_extra');
      expect(error.message).toContain('unexpected key "bias_extra"');
    });
    model.dispose();
  });

  it('non-strict load reports keys', () => {
    const model = new Linear(2, 2, { seed: 1 });
    const biasBefore = valuesOf(model.bias!);
    scope(() => {
      const state = new Map([['weight', fromArray([1, 2, 3, 4], [2, 2])], ['extra', zeros([1])]]);
      const result = model.loadStateDict(state, { strict: false });
      expect(result.missingKeys).toEqual(['bias']);
      expect(result.unexpectedKeys).toEqual(['extra']);
    });
    expect(valuesOf(model.weight)).toEqual([1, 2, 3, 4]);
    expect(valuesOf(model.bias!)).toEqual(biasBefore);
    model.dispose();
  });

  it('shape mismatch raises and writes nothing', () => {
    const model = new Linear(3, 2, { seed: 1 });
    const weightBefore = valuesOf(model.weight);
    scope(() => {
      // A (in, out) weight, as a framework that stores the transpose would save it.
      const state = new Map([['weight', zeros([3, 2])], ['bias', zeros([2])]]);
      const error = catchError(() => model.loadStateDict(state, { strict: false })) as StateDictError;
      expect(error.problem).toBe('shape');
      expect(error.key).toBe('weight');
      expect(error.expectedShape).toEqual([2, 3]);
      expect(error.actualShape).toEqual([3, 2]);
      expect(error.message).toContain('[2, 3]');
    });
    expect(valuesOf(model.weight)).toEqual(weightBefore);
    expect(valuesOf(model.bias!)).not.toEqual([0, 0]);
    model.dispose();
  });

  it('load casts to parameter dtype', () => {
    const model = new Linear(1, 1, { seed: 1 });
    scope(() => model.loadStateDict(new Map([['weight', fromArray([0.5], [1, 1], { dtype: 'f64' })], ['bias', fromArray([2], [1], { dtype: 'i32' })]])));
    expect(model.weight.dtype).toBe('f32');
    expect(valuesOf(model.weight)).toEqual([0.5]);
    expect(valuesOf(model.bias!)).toEqual([2]);
    model.dispose();
  });

  it('freeze stops gradients', () => {
    const first = new Linear(3, 3, { seed: 1 });
    const second = new Linear(3, 1, { seed: 2 });
    const model = new Sequential(first, second);
    first.freeze();
    expect(first.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(model.trainableParameters()).toEqual(second.parameters());
    scope(() => model.forward(ones([2, 3])).sum().backward());
    expect(first.weight.grad).toBeNull();
    expect(second.weight.grad).not.toBeNull();

    first.unfreeze();
    expect(model.trainableParameters().length).toBe(4);
    model.dispose();
  });

  it('train and eval reach children', () => {
    const tree = new Tree(1);
    tree.eval();
    expect(tree.namedModules().every(([, m]) => m.training === false)).toBe(true);
    tree.train();
    expect(tree.blocks.at(1).attn.qkv.training).toBe(true);
    tree.dispose();
  });

  it('zeroGrad clears every grad', () => {
    const model = new Sequential(new Linear(2, 2, { seed: 1 }), new Linear(2, 1, { seed: 2 }));
    scope(() => model.forward(ones([1, 2])).sum().backward());
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    model.dispose();
  });

  it('dispose frees everything', () => {
    const before = memory();
    const tree = new Tree(1);
    scope(() => tree.embed.forward(fromArray([1, 2], [2], { dtype: 'i32' })).sum().backward());
    expect(memory().tensors).toBeGreaterThan(before.tensors);
    tree.dispose();
    expect(memory()).toEqual(before);
    expect(tree.isDisposed).toBe(true);
    expect(tree.parameters().every((p) => p.isDisposed)).toBe(true);
  });

  it('tied weights count once', () => {
    // An output head that reuses the embedding matrix, as GPT-2 does.
    const embed = new Embedding(5, 3, { seed: 1 });
    const head = new Module();
    head.registerParameter('weight', embed.weight);
    const model = new Module();
    model.registerModule('embed', embed);
    model.registerModule('head', head);
    expect(model.namedParameters().map(([name]) => name)).toEqual(['embed.weight']);
    scope(() => {
      expect([...model.stateDict().keys()]).toEqual(['embed.weight', 'head.weight']);
    });
    model.dispose();
    expect(embed.weight.isDisposed).toBe(true);
  });

  it('rejects duplicate and dotted names', () => {
    const module = new Module();
    module.registerParameter('w', zeros([1]));
    scope(() => {
      expect(() => module.registerParameter('w', zeros([1]))).toThrow(/already used/);
    });
    expect(() => module.registerModule('a.b', new Module())).toThrow(/contain no "."/);
    module.dispose();
  });
});

describe('Linear', () => {
  it('forward matches loops', () => {
    const layer = new Linear(3, 2, { seed: 5 });
    const w = valuesOf(layer.weight); // (out, in) row-major
    const b = valuesOf(layer.bias!);
    const x = randomValues(4 * 3, 9);
    const expected: number[] = [];
    for (let n = 0; n < 4; n++) {
      for (let o = 0; o < 2; o++) {
        let total = b[o];
        for (let i = 0; i < 3; i++) total += x[n * 3 + i] * w[o * 3 + i];
        expected.push(total);
      }
    }
    scope(() => {
      const y = layer.forward(fromArray(x, [2, 2, 3]));
      expect(y.shape).toEqual([2, 2, 2]);
      expectAllClose(y, expected, { atol: 1e-6, rtol: 1e-6 });
    });
    layer.dispose();
  });

  it('weight shape is out by in', () => {
    const layer = new Linear(7, 3, { bias: false, seed: 1 });
    expect(layer.weight.shape).toEqual([3, 7]);
    expect(layer.bias).toBeNull();
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['weight']);
    layer.dispose();
  });

  it('init is uniform within bound', () => {
    // U(-k, k) with k = 1/sqrt(256) has mean 0 and variance k^2 / 3. Over 65536 draws the
    // standard error of the mean is k / sqrt(3 * 65536), about 1e-4, and of the variance about
    // 0.5%; the tolerances below are several times those.
    const layer = new Linear(256, 256, { seed: 42 });
    const k = 1 / 16;
    const w = valuesOf(layer.weight);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const variance = w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length;
    expect(Math.max(...w)).toBeLessThanOrEqual(k);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-k);
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(Math.abs(variance / (k * k / 3) - 1)).toBeLessThan(0.03);
    expect(Math.max(...valuesOf(layer.bias!).map(Math.abs))).toBeLessThanOrEqual(k);
    layer.dispose();
  });

  it('seed gives same weights', () => {
    const a = new Linear(4, 4, { seed: 7 });
    const b = new Linear(4, 4, { seed: 7 });
    const c = new Linear(4, 4, { seed: 8 });
    expect(valuesOf(a.weight)).toEqual(valuesOf(b.weight));
    expect(valuesOf(a.bias!)).toEqual(valuesOf(b.bias!));
    expect(valuesOf(a.weight)).not.toEqual(valuesOf(c.weight));
    // One generator drives both draws, so the bias is not a copy of the weight's first row.
    expect(valuesOf(a.bias!)).not.toEqual(valuesOf(a.weight).slice(0, 4));
    for (const m of [a, b, c]) m.dispose();
  });

  it('rejects wrong input width', () => {
    const layer = new Linear(3, 2, { seed: 1 });
    scope(() => {
      expect(() => layer.forward(zeros([2, 4]))).toThrow(/inFeatures = 3/);
    });
    layer.dispose();
  });
});

describe('Embedding', () => {
  it('forward picks rows for any id shape', () => {
    const table = new Embedding(6, 3, { seed: 1 });
    const weight = valuesOf(table.weight);
    const ids = [5, 0, 2, 2, 1, 4];
    scope(() => {
      const out = table.forward(fromArray(ids, [2, 3], { dtype: 'i32' }));
      expect(out.shape).toEqual([2, 3, 3]);
      expect(valuesOf(out)).toEqual(ids.flatMap((id) => weight.slice(id * 3, id * 3 + 3)));
    });
    table.dispose();
  });

  it('gradient adds repeated ids', () => {
    const table = new Embedding(4, 2, { seed: 1 });
    scope(() => table.forward(fromArray([3, 1, 3], [3], { dtype: 'i32' })).sum().backward());
    // Row 3 is used twice, row 1 once, rows 0 and 2 never.
    expect(valuesOf(table.weight.grad!)).toEqual([0, 0, 1, 1, 0, 0, 2, 2]);
    table.dispose();
  });

  it('init is standard normal', () => {
    // Over 4096 draws the standard error of the mean is 1/64 and of the standard deviation
    // about 1/sqrt(2 * 4096) = 0.011; the tolerances are four of those.
    const table = new Embedding(64, 64, { seed: 3 });
    const w = valuesOf(table.weight);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.0625);
    expect(Math.abs(std - 1)).toBeLessThan(0.045);
    table.dispose();
  });

  it('rejects out-of-range id', () => {
    const table = new Embedding(6, 2, { seed: 1 });
    scope(() => {
      expect(() => table.forward(fromArray([0, 6], [2], { dtype: 'i32' }))).toThrow();
      expect(() => table.forward(fromArray([-1], [1], { dtype: 'i32' }))).toThrow();
    });
    table.dispose();
  });

  it('rejects float ids', () => {
    const table = new Embedding(4, 2, { seed: 1 });
    scope(() => {
      expect(() => table.forward(fromArray([1], [1]))).toThrow(/ids must be i32/);
    });
    table.dispose();
  });
});

/** Row statistics over the last axis in float64 loops. */
function normalizeRows(x: number[], width: number, center: boolean, eps: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < x.length; start += width) {
    const row = x.slice(start, start + width);
    const mean = center ? row.reduce((a, v) => a + v, 0) / width : 0;
    const meanSquare = row.reduce((a, v) => a + (v - mean) ** 2, 0) / width;
    for (const v of row) out.push((v - mean) / Math.sqrt(meanSquare + eps));
  }
  return out;
}

describe('normalization layers', () => {
  it('LayerNorm matches loops', () => {
    const layer = new LayerNorm(4);
    expect(layer.eps).toBe(1e-5);
    const x = randomValues(3 * 4, 21, -3, 3);
    scope(() => {
      layer.loadStateDict(new Map([['weight', fromArray([1, 2, 3, 4], [4])], ['bias', fromArray([0, -1, 0, 1], [4])]]));
      const expected = normalizeRows(x, 4, true, 1e-5).map((v, i) => v * [1, 2, 3, 4][i % 4] + [0, -1, 0, 1][i % 4]);
      expectAllClose(layer.forward(fromArray(x, [3, 4])), expected, { atol: 1e-5, rtol: 1e-5 });
    });
    layer.dispose();
  });

  it('LayerNorm without affine has no parameters', () => {
    const layer = new LayerNorm(4, { elementwiseAffine: false });
    expect(layer.parameters()).toEqual([]);
    const x = randomValues(8, 22);
    scope(() => expectAllClose(layer.forward(fromArray(x, [2, 4])), normalizeRows(x, 4, true, 1e-5), { atol: 1e-5, rtol: 1e-5 }));
    layer.dispose();
  });

  it('RMSNorm matches loops', () => {
    const layer = new RMSNorm(3);
    expect(layer.eps).toBe(1e-6);
    const x = randomValues(2 * 3, 23, -2, 2);
    scope(() => {
      layer.loadStateDict(new Map([['weight', fromArray([0.5, 1, 2], [3])]]));
      const expected = normalizeRows(x, 3, false, 1e-6).map((v, i) => v * [0.5, 1, 2][i % 3]);
      expectAllClose(layer.forward(fromArray(x, [2, 3])), expected, { atol: 1e-5, rtol: 1e-5 });
    });
    layer.dispose();
  });
});

describe('Dropout', () => {
  it('eval mode is identity', () => {
    const dropout = new Dropout(0.5, { seed: 1 }).eval();
    const x = randomValues(100, 31);
    scope(() => expect(valuesOf(dropout.forward(fromArray(x, [100])))).toEqual(Array.from(Float32Array.from(x))));
    dropout.dispose();
  });

  it('train mode keeps 1 - p', () => {
    // Each of n = 20000 elements is kept with probability 0.7: the kept fraction has standard
    // deviation sqrt(0.7 * 0.3 / n) = 0.0032, and the tolerance is four of those.
    const p = 0.3;
    const dropout = new Dropout(p, { seed: 2 });
    scope(() => {
      const y = valuesOf(dropout.forward(ones([20000])));
      const kept = y.filter((v) => v !== 0);
      expect(Math.abs(kept.length / y.length - (1 - p))).toBeLessThan(0.013);
      expectAllClose(kept.slice(0, 50), new Array(50).fill(1 / (1 - p)), { atol: 1e-6, rtol: 1e-6 });
    });
    dropout.dispose();
  });

  it('same seed gives same mask', () => {
    const a = new Dropout(0.5, { seed: 9 });
    const b = new Dropout(0.5, { seed: 9 });
    scope(() => {
      const first = valuesOf(a.forward(ones([64])));
      expect(valuesOf(b.forward(ones([64])))).toEqual(first);
      // The generator advances, so the next call draws a new mask.
      expect(valuesOf(a.forward(ones([64])))).not.toEqual(first);
    });
    a.dispose();
    b.dispose();
  });

  it('switches with the parent mode', () => {
    const model = new Sequential(new Linear(4, 4, { seed: 1 }), new Dropout(0.9, { seed: 3 }));
    scope(() => {
      const x = ones([8, 4]);
      model.eval();
      const evalOut = valuesOf(model.forward(x));
      expect(evalOut.every((v) => v !== 0)).toBe(true);
      model.train();
      const trainOut = valuesOf(model.forward(x));
      expect(trainOut.filter((v) => v === 0).length).toBeGreaterThan(10);
    });
    model.dispose();
  });
});

describe('nn namespace', () => {
  it('exports the same classes', () => {
    expect(nn.Linear).toBe(Linear);
    expect(nn.Module).toBe(Module);
  });
});
