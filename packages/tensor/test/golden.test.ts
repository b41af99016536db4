// Compares @lab/tensor (f32, cpu backend) with PyTorch 1.13 on fixtures written by
// scripts/make_golden.py: each case's output and the gradient of sum(output * w) for each float input.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  attention,
  crossEntropy,
  cumprod,
  cumsum,
  div,
  exp,
  fromArray,
  gelu,
  indexSelect,
  layerNorm,
  log,
  logSigmoid,
  logSoftmax,
  logsumexp,
  matmul,
  maximum,
  mean,
  memory,
  mul,
  narrow,
  pow,
  prod,
  quantile,
  reshape,
  rmsNorm,
  scope,
  sigmoid,
  silu,
  softmax,
  softplus,
  sort,
  split,
  sum,
  type Tensor,
  tanh,
  topk,
  transpose,
  variance,
} from '../src/index.js';

interface Encoded {
  shape: number[];
  dtype: 'f32' | 'i32' | 'bool';
  data: number[];
}

interface CaseAttrs {
  axis?: number | number[] | null;
  keepDims?: boolean;
  correction?: number;
  exponent?: number;
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
  eps?: number;
  causal?: boolean;
  reverse?: boolean;
  descending?: boolean;
  k?: number;
  largest?: boolean;
  q?: number | number[];
}

interface GoldenCase {
  name: string;
  op: string;
  inputs: Record<string, Encoded>;
  attrs: CaseAttrs;
  output: Encoded;
  weight: Encoded;
  grads: Record<string, Encoded>;
}

interface Tolerance {
  atol: number;
  rtol: number;
}

// Tolerances: |ours - torch| <= atol + rtol * |torch|. Our cpu backend computes each op in f64 and rounds once,
// while torch rounds to f32 at every step, so the gap is a few f32 ulps (2^-24 ~ 6e-8 relative) of the largest
// intermediate value in a case. Measured maxima are noted with each constant; each bound leaves 5x or more room.

/**
 * Elementwise ops on inputs up to ~14 with outputs up to ~17 (exp): a few ulps is < 1e-6 relative. The atol is for
 * torch's f32 gelu, x/2 (1 + erf(x/sqrt 2)), which cancels for negative x: error ~ulp(1) * |x|, 2.4e-7 measured
 * there (18% of the bound, the tightest case); 4.7e-7 is the largest absolute error (a div gradient ~5).
 */
const ELEMENTWISE: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Sums of up to 24 terms ~3 and logsumexp of logits up to ~130 (ulp 7.6e-6): 7.2e-7 measured. */
const REDUCTION: Tolerance = { atol: 1e-5, rtol: 1e-4 };
/** Dot products of length <= 6 with entries ~3 that torch accumulates in f32, values up to ~10: 1.2e-6 measured. */
const MATMUL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
/** Softmax, cross-entropy, norms and attention chain several f32 steps (exp, sums, rsqrt, matmul): 9.6e-7 measured. */
const FUSED: Tolerance = { atol: 1e-5, rtol: 1e-4 };
/**
 * Sort and topk move values exactly, quantile mixes two of them, and cumsum and cumprod chain up to 6 f32 steps.
 * Measured: 4.8e-7.
 */
const ORDER: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/**
 * Two pre-norm blocks of ~12 f32 ops each, logits up to ~2.7 (ulp 2.4e-7) and gradients up to ~0.4. The backward
 * pass doubles the chain. Measured: 1.1e-6 on logits, 2.2e-7 on gradients.
 */
const TRANSFORMER: Tolerance = { atol: 1e-5, rtol: 1e-4 };

const OP_TOLERANCE: Record<string, Tolerance> = {
  sum: REDUCTION,
  mean: REDUCTION,
  logsumexp: REDUCTION,
  var: REDUCTION,
  prod: REDUCTION,
  matmul: MATMUL,
  softmax: FUSED,
  logSoftmax: FUSED,
  crossEntropy: FUSED,
  layerNorm: FUSED,
  rmsNorm: FUSED,
  attention: FUSED,
  cumsum: ORDER,
  cumprod: ORDER,
  sort: ORDER,
  topk: ORDER,
  quantile: ORDER,
};

type Inputs = Record<string, Tensor>;
type Builder = (t: Inputs, attrs: CaseAttrs) => Tensor;

/** Fixture axes use null for "all axes", which the library spells as undefined. */
const axisOf = (attrs: CaseAttrs) => attrs.axis ?? undefined;

const BUILDERS: Record<string, Builder> = {
  exp: (t) => exp(t.x),
  log: (t) => log(t.x),
  tanh: (t) => tanh(t.x),
  sigmoid: (t) => sigmoid(t.x),
  logSigmoid: (t) => logSigmoid(t.x),
  softplus: (t) => softplus(t.x),
  gelu: (t) => gelu(t.x),
  geluTanh: (t) => gelu(t.x, 'tanh'),
  silu: (t) => silu(t.x),
  pow: (t) => pow(t.a, t.b),
  powScalar: (t, a) => pow(t.a, a.exponent!),
  div: (t) => div(t.a, t.b),
  maximum: (t) => maximum(t.a, t.b),
  sum: (t, a) => sum(t.x, axisOf(a), a.keepDims),
  mean: (t, a) => mean(t.x, axisOf(a), a.keepDims),
  logsumexp: (t, a) => logsumexp(t.x, axisOf(a), a.keepDims),
  var: (t, a) => variance(t.x, axisOf(a), a.keepDims, a.correction),
  prod: (t, a) => prod(t.x, axisOf(a), a.keepDims),
  matmul: (t) => matmul(t.a, t.b),
  softmax: (t, a) => softmax(t.x, a.axis as number),
  logSoftmax: (t, a) => logSoftmax(t.x, a.axis as number),
  crossEntropy: (t, a) => crossEntropy(t.logits, t.targets, a),
  layerNorm: (t, a) => layerNorm(t.x, t.weight, t.bias, a.eps),
  rmsNorm: (t, a) => rmsNorm(t.x, t.weight, a.eps),
  attention: (t, a) => attention(t.q, t.k, t.v, { causal: a.causal, mask: t.mask }),
  cumsum: (t, a) => cumsum(t.x, a.axis as number, { reverse: a.reverse }),
  cumprod: (t, a) => cumprod(t.x, a.axis as number, { reverse: a.reverse }),
  sort: (t, a) => sort(t.x, a.axis as number, a.descending).values,
  topk: (t, a) => topk(t.x, a.k!, a.axis as number, a.largest).values,
  quantile: (t, a) => quantile(t.x, a.q!, (a.axis ?? undefined) as number | undefined, a.keepDims),
};

function loadFixture<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as T;
}

const TYPED = { f32: Float32Array, i32: Int32Array, bool: Uint8Array } as const;

function toTensor(e: Encoded): Tensor {
  const t = fromArray(TYPED[e.dtype].from(e.data), e.shape, { dtype: e.dtype });
  return e.dtype === 'f32' ? t.setRequiresGrad() : t;
}

/** Measures the worst element in units of its allowed error (<= 1 passes); NaN counts as Infinity. */
function compare(actual: ArrayLike<number>, expected: readonly number[], tol: Tolerance) {
  let worst = 0;
  let at = -1;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue;
    let diff = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(diff)) diff = Number.POSITIVE_INFINITY;
    maxAbs = Math.max(maxAbs, diff);
    const ratio = diff / (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (ratio > worst) {
      worst = ratio;
      at = i;
    }
  }
  return { worst, at, maxAbs };
}

/** Max absolute errors per checked array, printed when GOLDEN_REPORT is set, to help choose tolerances. */
const seenErrors: string[] = [];

function expectClose(label: string, values: ArrayLike<number>, expected: Encoded, tol: Tolerance): void {
  expect(values.length, `${label} length`).toBe(expected.data.length);
  const { worst, at, maxAbs } = compare(values, expected.data, tol);
  seenErrors.push(
    `${label}: max abs error ${maxAbs.toExponential(2)}, ${(worst * 100).toFixed(1)}% of tolerance`,
  );
  const where = `element ${at} is ${values[at]}, torch has ${expected.data[at]}`;
  expect(worst, `${label}: ${where} (atol ${tol.atol}, rtol ${tol.rtol})`).toBeLessThanOrEqual(1);
}

function expectTensorClose(label: string, actual: Tensor, expected: Encoded, tol: Tolerance): void {
  expect([...actual.shape], `${label} shape`).toEqual(expected.shape);
  expectClose(label, actual.dataSync(), expected, tol);
}

afterEach(() => {
  expect(memory().tensors).toBe(0);
});

afterAll(() => {
  if (process.env.GOLDEN_REPORT) console.log(seenErrors.join('\n'));
});

interface CaseFile {
  cases: GoldenCase[];
}

describe.each(['elementwise', 'reduce', 'fused', 'order'])('golden %s', (group) => {
  const { cases } = loadFixture<CaseFile>(`golden-${group}.json`);

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const tol = OP_TOLERANCE[c.op] ?? ELEMENTWISE;
    scope(() => {
      const inputs: Inputs = {};
      for (const [key, encoded] of Object.entries(c.inputs)) inputs[key] = toTensor(encoded);

      const output = BUILDERS[c.op](inputs, c.attrs);
      expectTensorClose(`${c.name} output`, output, c.output, tol);

      const weight = fromArray(Float32Array.from(c.weight.data), c.weight.shape);
      sum(mul(output, weight)).backward();
      for (const [key, grad] of Object.entries(c.grads)) {
        expect(inputs[key].grad, `${c.name} grad of ${key}`).not.toBeNull();
        expectTensorClose(`${c.name} grad ${key}`, inputs[key].grad!, grad, tol);
      }
    });
  });
});

interface TransformerConfig {
  vocab: number;
  width: number;
  heads: number;
  layers: number;
  batch: number;
  time: number;
  eps: number;
}

interface TransformerFixture {
  config: TransformerConfig;
  tokens: Encoded;
  params: Record<string, Encoded>;
  logits: Encoded;
  loss: number;
  grads: Record<string, Encoded>;
}

/** Applies x @ W + b, with W stored as (in, out). */
function linear(x: Tensor, p: Inputs, name: string): Tensor {
  const y = matmul(x, p[`${name}.weight`]);
  return p[`${name}.bias`] ? add(y, p[`${name}.bias`]) : y;
}

/** Runs one pre-norm block: x + attn(ln1(x)), then x + mlp(ln2(x)). */
function block(x: Tensor, p: Inputs, prefix: string, config: TransformerConfig): Tensor {
  const [b, t, c] = x.shape;
  const h = config.heads;
  const norm1 = layerNorm(x, p[`${prefix}ln1.weight`], p[`${prefix}ln1.bias`], config.eps);
  const qkv = linear(norm1, p, `${prefix}attn.qkv`); // (B, T, 3C)
  const [q, k, v] = split(qkv, c, -1).map((z) => transpose(reshape(z, [b, t, h, c / h]), 1, 2)); // (B, H, T, D)
  const heads = attention(q, k, v, { causal: true }); // (B, H, T, D)
  const merged = reshape(transpose(heads, 1, 2), [b, t, c]); // (B, T, C)
  x = add(x, linear(merged, p, `${prefix}attn.proj`));

  const norm2 = layerNorm(x, p[`${prefix}ln2.weight`], p[`${prefix}ln2.bias`], config.eps);
  const hidden = gelu(linear(norm2, p, `${prefix}mlp.fc`), 'tanh'); // (B, T, 4C)
  return add(x, linear(hidden, p, `${prefix}mlp.proj`));
}

/** Computes logits (B, T, V) from token and position embeddings, the blocks, a final layer norm and the head. */
function transformerLogits(p: Inputs, idx: Tensor, config: TransformerConfig): Tensor {
  const [b, t] = idx.shape;
  const tokens = reshape(indexSelect(p.wte, 0, reshape(idx, [-1])), [b, t, config.width]); // (B, T, C)
  let x = add(tokens, p.wpe); // (B, T, C)
  for (let i = 0; i < config.layers; i++) x = block(x, p, `h${i}.`, config);
  x = layerNorm(x, p['lnf.weight'], p['lnf.bias'], config.eps);
  return matmul(x, p['head.weight']); // (B, T, V)
}

describe('golden transformer', () => {
  const fixture = loadFixture<TransformerFixture>('golden-transformer.json');
  const result = {
    logits: [] as ArrayLike<number>,
    loss: Number.NaN,
    grads: new Map<string, ArrayLike<number>>(),
  };

  beforeAll(() => {
    scope(() => {
      const { config } = fixture;
      const params: Inputs = {};
      for (const [name, encoded] of Object.entries(fixture.params)) params[name] = toTensor(encoded);
      const tokens = toTensor(fixture.tokens); // (B, T + 1)
      const inputs = narrow(tokens, 1, 0, config.time); // (B, T)
      const targets = narrow(tokens, 1, 1, config.time); // (B, T)

      const logits = transformerLogits(params, inputs, config);
      const loss = crossEntropy(logits, targets);
      loss.backward();

      result.logits = logits.dataSync();
      result.loss = loss.dataSync()[0];
      for (const [name, param] of Object.entries(params)) result.grads.set(name, param.grad!.dataSync());
    });
  });

  it('logits match torch', () => {
    expectClose('transformer logits', result.logits, fixture.logits, TRANSFORMER);
  });

  it('loss matches torch', () => {
    expect(Math.abs(result.loss - fixture.loss)).toBeLessThanOrEqual(
      TRANSFORMER.atol + TRANSFORMER.rtol * Math.abs(fixture.loss),
    );
  });

  it('every parameter gradient matches', () => {
    expect([...result.grads.keys()].sort()).toEqual(Object.keys(fixture.grads).sort());
    for (const [name, grad] of Object.entries(fixture.grads)) {
      expectClose(`transformer grad ${name}`, result.grads.get(name)!, grad, TRANSFORMER);
    }
  });
});
