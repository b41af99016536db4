// Batched sampling: each row must equal a lone `generate` with the same seed, the returned log-probs
// must equal the model's own log-softmax at the drawn token, and rows stop on EOS independently.
import { noGrad, scope, tensor } from '@lab/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { GenerationError, generate, generateBatch, Llama } from '../src/index.js';
import { expectClose } from './helpers.js';

const model = new Llama(
  { dim: 16, hiddenDim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 13, maxSeqLen: 24 },
  { seed: 21 },
);
afterAll(() => model.dispose());

/** log softmax of the full-sequence logits at each generated position, from one uncached pass. */
function uncachedLogProbs(prompt: number[], tokens: number[]): number[] {
  const ids = [...prompt, ...tokens];
  return noGrad(() =>
    scope(() => {
      const logits = model.forward(tensor([ids], { dtype: 'i32' })).dataSync(); // (1, T, V)
      const V = model.vocabSize;
      return tokens.map((token, k) => {
        const row = Array.from(logits.subarray((prompt.length - 1 + k) * V, (prompt.length + k) * V));
        const max = Math.max(...row);
        const logZ = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
        return row[token] - logZ;
      });
    }),
  );
}

describe('generateBatch', () => {
  const prompts = [
    [1, 5, 7],
    [1, 2, 2],
    [1, 9],
    [1, 3, 4],
  ];
  const seeds = [10, 11, 12, 13];

  test('rows equal lone generate calls', async () => {
    const batch = await generateBatch(model, prompts, { maxNewTokens: 9, temperature: 1.2, seeds });
    for (let i = 0; i < prompts.length; i++) {
      const lone = await generate(model, prompts[i], { maxNewTokens: 9, temperature: 1.2, seed: seeds[i] });
      expect(batch.rows[i].tokens, `row ${i}`).toEqual(lone.tokens);
    }
  });

  test('batch size does not change rows', async () => {
    const all = await generateBatch(model, prompts, { maxNewTokens: 6, seeds });
    const small = await generateBatch(model, prompts, { maxNewTokens: 6, seeds, maxBatch: 1 });
    expect(small.rows.map((r) => r.tokens)).toEqual(all.rows.map((r) => r.tokens));
    // Two prompt lengths, one batch each: 6 passes apiece; one row per batch: 6 passes per prompt.
    expect(all.forwardCalls).toBe(12);
    expect(small.forwardCalls).toBe(24);
  });

  test('log-probs match an uncached pass', async () => {
    const batch = await generateBatch(model, prompts, { maxNewTokens: 7, temperature: 0.7, seeds });
    for (let i = 0; i < prompts.length; i++) {
      const row = batch.rows[i];
      expectClose(row.logProbs, uncachedLogProbs(prompts[i], row.tokens), 1e-5);
    }
  });

  test('a row stops at eos alone', async () => {
    const free = await generateBatch(model, prompts, { maxNewTokens: 8, temperature: 1.5, seeds });
    const eos = free.rows[0].tokens[2];
    const stopped = await generateBatch(model, prompts, {
      maxNewTokens: 8,
      temperature: 1.5,
      seeds,
      eosId: eos,
    });
    const first = free.rows[0].tokens.indexOf(eos);
    expect(stopped.rows[0].tokens).toEqual(free.rows[0].tokens.slice(0, first + 1));
    expect(stopped.rows[0].stopReason).toBe('eos');
    for (let i = 1; i < prompts.length; i++) {
      const cut = free.rows[i].tokens.indexOf(eos);
      const expected = cut < 0 ? free.rows[i].tokens : free.rows[i].tokens.slice(0, cut + 1);
      expect(stopped.rows[i].tokens, `row ${i}`).toEqual(expected);
      expect(stopped.rows[i].logProbs).toHaveLength(expected.length);
    }
  });

  test('context limit stops rows', async () => {
    const long = [Array.from({ length: 20 }, (_, i) => (i % 12) + 1)];
    const result = await generateBatch(model, long, { maxNewTokens: 10, seeds: [0] });
    expect(result.rows[0].tokens).toHaveLength(4);
    expect(result.rows[0].stopReason).toBe('context');
  });

  test('seed count must match prompts', async () => {
    await expect(generateBatch(model, prompts, { maxNewTokens: 2, seeds: [1] })).rejects.toThrow(
      GenerationError,
    );
  });
});
