import { noGrad, registeredBackends, scope, tensor } from '@lab/tensor';
import { describe, expect, test } from 'vitest';
import { applyLoRA, GPT, generate, sequenceLogProbs } from '../src/index.js';
import { loadLlama2c } from '../src/node.js';
import { expectClose } from './helpers.js';

const MODEL = new URL('../../../data/stories260K/stories260K.bin', import.meta.url).pathname;
// The first greedy ids of stories260K from BOS, from the float32 NumPy reference of llama2.c's forward.
const REFERENCE_IDS = [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421];

const others = registeredBackends().filter((name) => name !== 'cpu');

/** Logits and LoRA gradients of one small GPT on `backend`, for comparison with the cpu backend. */
function gptOutputs(backend: string): { logits: number[]; gradient: number[] } {
  const model = new GPT({ vocabSize: 9, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2 }, { backend, seed: 4 });
  applyLoRA(model, { rank: 2, targets: 'c_fc', freezeBase: true });
  const ids = [[1, 5, 2, 8, 3]];
  const logits = noGrad(() =>
    scope(() => Array.from(model.forward(tensor(ids, { dtype: 'i32', backend })).dataSync())),
  );
  const gradient = scope(() => {
    sequenceLogProbs(model, tensor(ids, { dtype: 'i32', backend }))
      .sum.neg()
      .backward();
    return Array.from(model.h.at(1).mlp.c_fc.lora!.B.grad!.dataSync());
  });
  model.dispose();
  return { logits, gradient };
}

// Runs only where another backend (wasm, webgpu) is registered in this process.
// With none registered the suite still exists, skipped, so vitest reports it instead of failing the file.
describe.skipIf(others.length === 0).each(others.length > 0 ? others : ['none'])('%s backend', (backend) => {
  test('stories260K greedy ids match the reference', async () => {
    const model = await loadLlama2c(MODEL, { backend });
    const result = await generate(model, [1], { maxNewTokens: REFERENCE_IDS.length, temperature: 0 });
    model.dispose();
    expect(result.tokens).toEqual(REFERENCE_IDS);
  });

  test('GPT logits and gradients match cpu', () => {
    const expected = gptOutputs('cpu');
    const actual = gptOutputs(backend);
    expectClose(actual.logits, expected.logits, 1e-5, 1e-4);
    expectClose(actual.gradient, expected.gradient, 1e-6, 1e-3);
  });
});
