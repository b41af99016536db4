import { readFileSync } from 'node:fs';
import { Llama2Tokenizer } from '@lab/data';
import { noGrad, scope, tensor } from '@lab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CheckpointError, generate, type Llama, llamaFromLlama2c, readLlama2cHeader } from '../src/index.js';
import { loadLlama2c } from '../src/node.js';
import { expectClose, randomValues } from './helpers.js';
import { type LlamaShape, llamaReference, type Weights } from './reference.js';

const DATA = new URL('../../../data/stories260K/', import.meta.url).pathname;

// Greedy ids of stories260K from BOS (id 1), no prompt. Produced by scripts/stories260k_reference.py,
// an independent float32 NumPy re-implementation of llama2.c's forward pass, run once with
// /usr/bin/python3; they decode to llama2.c's published stories260K sample text.
const REFERENCE_IDS = [
  403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410,
  408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
];
const REFERENCE_TEXT =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.';

/** Writes a legacy llama2.c file for `shape` with seeded weights; also returns the weights by block. */
function llama2cFile(s: LlamaShape, seqLen: number, seed: number): { bytes: Uint8Array; weights: Weights } {
  const head = s.dim / s.heads;
  const kvDim = head * s.kvHeads;
  const blocks: [string, number, number][] = [
    ['emb', 1, s.vocab * s.dim],
    ['rms_att', s.layers, s.dim],
    ['wq', s.layers, s.dim * s.dim],
    ['wk', s.layers, kvDim * s.dim],
    ['wv', s.layers, kvDim * s.dim],
    ['wo', s.layers, s.dim * s.dim],
    ['rms_ffn', s.layers, s.dim],
    ['w1', s.layers, s.hidden * s.dim],
    ['w2', s.layers, s.dim * s.hidden],
    ['w3', s.layers, s.hidden * s.dim],
    ['rms_final', 1, s.dim],
    ['freq_cis_real', 1, (seqLen * head) / 2],
    ['freq_cis_imag', 1, (seqLen * head) / 2],
  ];
  if (!s.tied) blocks.push(['wcls', 1, s.vocab * s.dim]);

  const weights: Weights = new Map();
  const parts: Float32Array[] = [];
  blocks.forEach(([name, count, size], b) => {
    for (let l = 0; l < count; l++) {
      const values = randomValues(size, seed * 1000 + b * 50 + l, name.startsWith('rms') ? 1 : 0.4);
      if (name.startsWith('rms')) for (let i = 0; i < size; i++) values[i] += 1;
      weights.set(count === 1 ? name : `${name}.${l}`, values);
      parts.push(values);
    }
  });

  const header = Int32Array.from([
    s.dim,
    s.hidden,
    s.layers,
    s.heads,
    s.kvHeads,
    s.tied ? s.vocab : -s.vocab,
    seqLen,
  ]);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(28 + total * 4);
  bytes.set(new Uint8Array(header.buffer), 0);
  let offset = 28;
  for (const p of parts) {
    bytes.set(new Uint8Array(p.buffer), offset);
    offset += p.byteLength;
  }
  return { bytes, weights };
}

describe('stories260K', () => {
  let model: Llama;
  let greedy: number[];
  beforeAll(async () => {
    model = await loadLlama2c(`${DATA}stories260K.bin`);
    greedy = (await generate(model, [1], { maxNewTokens: REFERENCE_IDS.length, temperature: 0 })).tokens;
  });
  afterAll(() => model.dispose());

  test('header matches the published config', () => {
    const header = readLlama2cHeader(new Uint8Array(readFileSync(`${DATA}stories260K.bin`)));
    expect(header).toEqual({
      dim: 64,
      hidden_dim: 172,
      n_layers: 5,
      n_heads: 8,
      n_kv_heads: 4,
      vocab_size: 512,
      seq_len: 512,
      sharedClassifier: true,
    });
  });

  test('greedy decoding reproduces the reference ids', () => {
    expect(greedy).toEqual(REFERENCE_IDS);
  });

  test('greedy decoding reproduces the reference text', () => {
    const tokenizer = Llama2Tokenizer.fromBytes(new Uint8Array(readFileSync(`${DATA}tok512.bin`)), {
      vocabSize: 512,
    });
    const text = tokenizer.decode([1, ...greedy]);
    expect(text.startsWith(REFERENCE_TEXT), text).toBe(true);
  });

  test('parameter count is 260K without RoPE tables', () => {
    // 64*512 embedding + 5 layers * (2*64 norms + 64*64*2 + 32*64*2 + 3*172*64) + 64 final norm
    expect(model.parameterCount()).toBe(32768 + 5 * (128 + 8192 + 4096 + 33024) + 64);
  });
});

describe('llama2.c loader', () => {
  const shape: LlamaShape = { dim: 16, hidden: 24, layers: 2, heads: 4, kvHeads: 2, vocab: 11, tied: false };

  test('untied classifier logits match the reference', () => {
    const { bytes, weights } = llama2cFile(shape, 8, 3);
    const model = llamaFromLlama2c(bytes);
    const sequences = [
      [1, 5, 9, 2, 7],
      [3, 3, 10, 0, 4],
    ];
    const logits = noGrad(() => scope(() => model.forward(tensor(sequences, { dtype: 'i32' })).dataSync()));
    const expected = sequences.flatMap((ids) => llamaReference(weights, shape, ids).flat());
    expectClose(logits, expected, 2e-5, 2e-5);
    expect(model.output).not.toBeNull();
    model.dispose();
  });

  test('tied classifier has no output layer', () => {
    const tied = { ...shape, tied: true };
    const { bytes, weights } = llama2cFile(tied, 8, 4);
    const model = llamaFromLlama2c(bytes);
    const logits = noGrad(() => scope(() => model.forward(tensor([[1, 2, 3]], { dtype: 'i32' })).dataSync()));
    expectClose(logits, llamaReference(weights, tied, [1, 2, 3]).flat(), 2e-5, 2e-5);
    expect(model.output).toBeNull();
    model.dispose();
  });

  test('truncated file names the file size', () => {
    const { bytes } = llama2cFile(shape, 8, 5);
    const cut = bytes.slice(0, bytes.length - 4);
    expect(() => llamaFromLlama2c(cut, { source: 'cut.bin' })).toThrow(CheckpointError);
    expect(() => llamaFromLlama2c(cut, { source: 'cut.bin' })).toThrow(
      /cut\.bin: file size: \d+ bytes, but the header .* needs \d+/,
    );
  });

  test('non-positive header field is named', () => {
    const { bytes } = llama2cFile(shape, 8, 6);
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(8, 0, true); // n_layers
    expect(() => llamaFromLlama2c(bad)).toThrow(/n_layers: header value 0 must be positive/);
  });

  test('kv heads not dividing heads are named', () => {
    const { bytes } = llama2cFile(shape, 8, 7);
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(16, 3, true); // n_kv_heads
    expect(() => llamaFromLlama2c(bad)).toThrow(/n_kv_heads: .*must divide nHeads = 4/);
  });

  test('short header and versioned magic are rejected', () => {
    expect(() => llamaFromLlama2c(new Uint8Array(10))).toThrow(/header: the file has 10 bytes/);
    const versioned = new Uint8Array(64);
    new DataView(versioned.buffer).setUint32(0, 0x616b3432, true);
    expect(() => llamaFromLlama2c(versioned)).toThrow(/magic: this is a versioned llama2\.c export/);
  });
});
