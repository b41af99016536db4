import { narrow, noGrad, scope, tensor } from '@lab/tensor';
import { afterAll, describe, expect, test } from 'vitest';
import { type CausalLM, GenerationError, GPT, generate, Llama } from '../src/index.js';
import { expectClose } from './helpers.js';

const llama = new Llama(
  { dim: 16, hiddenDim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 13, maxSeqLen: 24 },
  { seed: 11 },
);
const gpt = new GPT({ vocabSize: 13, nPositions: 24, nEmbd: 16, nLayer: 2, nHead: 4 }, { seed: 12 });
afterAll(() => {
  llama.dispose();
  gpt.dispose();
});

const models: [string, CausalLM][] = [
  ['llama', llama],
  ['gpt', gpt],
];

describe.each(models)('%s KV cache', (_, model) => {
  test('chunked cached logits match one full pass', () => {
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5];
    const { full, chunked } = noGrad(() =>
      scope(() => {
        const all = model.forward(tensor([ids], { dtype: 'i32' })); // (1, 9, V)
        const cache = model.createCache();
        model.forward(tensor([ids.slice(0, 4)], { dtype: 'i32' }), { cache });
        model.forward(tensor([ids.slice(4, 5)], { dtype: 'i32' }), { cache });
        const last = model.forward(tensor([ids.slice(5)], { dtype: 'i32' }), { cache }); // (1, 4, V)
        expect(cache.length).toBe(9);
        cache.dispose();
        return { full: narrow(all, 1, 5, 4).dataSync(), chunked: last.dataSync() };
      }),
    );
    expectClose(chunked, full, 1e-6, 1e-5);
  });

  test('truncated cache continues like a fresh one', () => {
    const { fresh, rewound } = noGrad(() =>
      scope(() => {
        const cache = model.createCache();
        model.forward(tensor([[2, 7, 1, 8, 2]], { dtype: 'i32' }), { cache });
        cache.truncate(3);
        const after = model.forward(tensor([[11, 12]], { dtype: 'i32' }), { cache }); // (1, 2, V)
        cache.dispose();
        const full = model.forward(tensor([[2, 7, 1, 11, 12]], { dtype: 'i32' }));
        return { fresh: narrow(full, 1, 3, 2).dataSync(), rewound: after.dataSync() };
      }),
    );
    expectClose(rewound, fresh, 1e-6, 1e-5);
  });

  test('cached and uncached greedy tokens agree', async () => {
    const cached = await generate(model, [1, 2], { maxNewTokens: 12, temperature: 0 });
    const uncached = await generate(model, [1, 2], { maxNewTokens: 12, temperature: 0, useCache: false });
    expect(cached.tokens).toHaveLength(12);
    expect(cached.tokens).toEqual(uncached.tokens);
  });

  test('cached and uncached sampled tokens agree', async () => {
    const options = { maxNewTokens: 12, temperature: 1.3, topK: 8, topP: 0.95, seed: 5 };
    const cached = await generate(model, [4], options);
    const uncached = await generate(model, [4], { ...options, useCache: false });
    expect(cached.tokens).toEqual(uncached.tokens);
  });
});

describe('generate', () => {
  test('same seed repeats and another seed differs', async () => {
    const a = await generate(llama, [1], { maxNewTokens: 16, seed: 3, temperature: 1.5 });
    const b = await generate(llama, [1], { maxNewTokens: 16, seed: 3, temperature: 1.5 });
    const c = await generate(llama, [1], { maxNewTokens: 16, seed: 4, temperature: 1.5 });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  test('stops after the eos token', async () => {
    const free = await generate(gpt, [1], { maxNewTokens: 10, seed: 8, temperature: 1.5 });
    const eos = free.tokens[4];
    const stopped = await generate(gpt, [1], { maxNewTokens: 10, seed: 8, temperature: 1.5, eosId: [eos] });
    const firstEos = free.tokens.indexOf(eos);
    expect(stopped.tokens).toEqual(free.tokens.slice(0, firstEos + 1));
    expect(stopped.stopReason).toBe('eos');
  });

  test('stops at the context limit', async () => {
    const streamed: number[] = [];
    const result = await generate(llama, [1, 2, 3, 4], {
      maxNewTokens: 50,
      temperature: 0,
      onToken: (t) => streamed.push(t),
    });
    expect(result.tokens).toHaveLength(20);
    expect(result.stopReason).toBe('context');
    expect(result.forwardCalls).toBe(20);
    expect(streamed).toEqual(result.tokens);
  });

  test('invalid prompts are rejected', async () => {
    await expect(generate(llama, [], { maxNewTokens: 1 })).rejects.toThrow(/prompt is empty/);
    await expect(generate(llama, [13], { maxNewTokens: 1 })).rejects.toThrow(
      /token id 13 is outside the vocabulary \[0, 13\)/,
    );
    await expect(generate(llama, [1], { maxNewTokens: -1 })).rejects.toThrow(GenerationError);
  });

  test('cache refuses recorded gradients', () => {
    scope(() => {
      const cache = gpt.createCache();
      expect(() => gpt.forward(tensor([[1, 2]], { dtype: 'i32' }), { cache })).toThrow(
        /the cache is for inference/,
      );
      cache.dispose();
    });
  });

  test('forward rejects positions past the context', () => {
    scope(() => {
      const ids = tensor([Array.from({ length: 25 }, () => 1)], { dtype: 'i32' });
      expect(() => llama.forward(ids)).toThrow(/positions 0\.\.24 exceed the context of 24/);
    });
  });
});
