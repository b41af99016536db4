import {
  AdamW,
  crossEntropy,
  narrow,
  noGrad,
  type RawTensor,
  reshape,
  scope,
  StateDictError,
  serializeSafetensors,
  tensor,
} from '@lab/tensor';
import { describe, expect, test } from 'vitest';
import { GPT, gptFromSafetensors } from '../src/index.js';
import { expectClose, randomValues } from './helpers.js';
import { type GptShape, gptReference, type Weights } from './reference.js';

const shape: GptShape = { embd: 8, layers: 2, heads: 2, vocab: 13 };
const POSITIONS = 10;

/** GPT-2 tensors by Hugging Face name with seeded values; LayerNorm weights near 1. */
function gpt2Weights(seed: number): Weights {
  const C = shape.embd;
  const sizes: [string, number[]][] = [
    ['wte.weight', [shape.vocab, C]],
    ['wpe.weight', [POSITIONS, C]],
  ];
  for (let l = 0; l < shape.layers; l++) {
    const h = `h.${l}`;
    sizes.push(
      [`${h}.ln_1.weight`, [C]],
      [`${h}.ln_1.bias`, [C]],
      [`${h}.attn.c_attn.weight`, [C, 3 * C]],
      [`${h}.attn.c_attn.bias`, [3 * C]],
      [`${h}.attn.c_proj.weight`, [C, C]],
      [`${h}.attn.c_proj.bias`, [C]],
      [`${h}.ln_2.weight`, [C]],
      [`${h}.ln_2.bias`, [C]],
      [`${h}.mlp.c_fc.weight`, [C, 4 * C]],
      [`${h}.mlp.c_fc.bias`, [4 * C]],
      [`${h}.mlp.c_proj.weight`, [4 * C, C]],
      [`${h}.mlp.c_proj.bias`, [C]],
    );
  }
  sizes.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  const weights: Weights = new Map();
  sizes.forEach(([name, dims], i) => {
    const values = randomValues(
      dims.reduce((a, b) => a * b, 1),
      seed * 100 + i,
      0.5,
    );
    if (/ln_.*weight$/.test(name)) for (let j = 0; j < values.length; j++) values[j] += 1;
    weights.set(name, values);
  });
  return weights;
}

/** Hugging Face-style file: `transformer.` prefix, causal-mask buffers and a tied lm_head copy. */
function gpt2File(weights: Weights, drop: string[] = []): Uint8Array {
  const raws: [string, RawTensor][] = [];
  const raw = (values: ArrayLike<number>, dims: number[]): RawTensor => ({
    dtype: 'F32',
    shape: dims,
    data: new Uint8Array(Float32Array.from(values).buffer),
  });
  const dimsOf = (name: string, n: number): number[] => {
    if (name === 'wte.weight') return [shape.vocab, shape.embd];
    if (name === 'wpe.weight') return [POSITIONS, shape.embd];
    if (name.endsWith('c_attn.weight')) return [shape.embd, 3 * shape.embd];
    if (name.endsWith('c_fc.weight')) return [shape.embd, 4 * shape.embd];
    if (name.endsWith('mlp.c_proj.weight')) return [4 * shape.embd, shape.embd];
    if (name.endsWith('attn.c_proj.weight')) return [shape.embd, shape.embd];
    return [n];
  };
  for (const [name, values] of weights)
    if (!drop.includes(name)) raws.push([`transformer.${name}`, raw(values, dimsOf(name, values.length))]);
  for (let l = 0; l < shape.layers; l++)
    raws.push([
      `transformer.h.${l}.attn.bias`,
      raw(new Float32Array(POSITIONS * POSITIONS).fill(1), [1, 1, POSITIONS, POSITIONS]),
    ]);
  raws.push(['lm_head.weight', raw(weights.get('wte.weight')!, [shape.vocab, shape.embd])]);
  return serializeSafetensors(raws);
}

describe('GPT', () => {
  test('GPT-2 safetensors logits match the reference', () => {
    const weights = gpt2Weights(1);
    const model = gptFromSafetensors(gpt2File(weights), { nHead: shape.heads });
    const sequences = [
      [0, 5, 12, 7, 7, 3],
      [11, 2, 2, 9, 1, 4],
    ];
    const logits = noGrad(() => scope(() => model.forward(tensor(sequences, { dtype: 'i32' })).dataSync()));
    const expected = sequences.flatMap((ids) => gptReference(weights, shape, ids).flat());
    expectClose(logits, expected, 2e-5, 2e-5);
    expect(model.config).toMatchObject({ vocabSize: 13, nPositions: 10, nEmbd: 8, nLayer: 2, nHead: 2 });
    model.dispose();
  });

  test('parameter names follow GPT-2', () => {
    const model = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    const names = model.namedParameters().map(([name]) => name);
    expect(names).toEqual([
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_attn.bias',
      'h.0.attn.c_proj.weight',
      'h.0.attn.c_proj.bias',
      'h.0.ln_2.weight',
      'h.0.ln_2.bias',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_fc.bias',
      'h.0.mlp.c_proj.weight',
      'h.0.mlp.c_proj.bias',
      'ln_f.weight',
      'ln_f.bias',
    ]);
    expect(model.h.at(0).attn.c_attn.weight.shape).toEqual([4, 12]);
    model.dispose();
  });

  test('missing tensor names the key', () => {
    const file = gpt2File(gpt2Weights(2), ['h.1.mlp.c_fc.bias']);
    expect(() => gptFromSafetensors(file, { nHead: shape.heads })).toThrow(StateDictError);
    expect(() => gptFromSafetensors(file, { nHead: shape.heads })).toThrow(
      /missing key "h\.1\.mlp\.c_fc\.bias"/,
    );
  });

  test('training from scratch lowers the loss', () => {
    const model = new GPT({ vocabSize: 6, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2 }, { seed: 3 });
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    // A deterministic cycle 0 1 2 3 4 5 0 ...: every next token is predictable from the current one.
    const batch = [
      [0, 1, 2, 3, 4, 5, 0, 1],
      [3, 4, 5, 0, 1, 2, 3, 4],
    ];
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      scope(() => {
        const ids = tensor(batch, { dtype: 'i32' });
        const logits = model.forward(narrow(ids, 1, 0, 7)); // (2, 7, 6)
        const loss = crossEntropy(reshape(logits, [14, 6]), reshape(narrow(ids, 1, 1, 7), [14]));
        losses.push(loss.dataSync()[0]);
        loss.backward();
        optimizer.step();
        model.zeroGrad();
      });
    }
    // ln(6) = 1.79 at the start; a model that learned the cycle is far below it.
    expect(losses[0]).toBeGreaterThan(1.5);
    expect(losses[39]).toBeLessThan(0.3);
    optimizer.dispose();
    model.dispose();
  });
});
