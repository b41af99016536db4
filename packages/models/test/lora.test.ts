import { crossEntropy, noGrad, optim, randn, reshape, SGD, scope, tensor } from '@lab/tensor';
import { describe, expect, test } from 'vitest';
import {
  AdapterError,
  applyLoRA,
  type CausalLM,
  GPT,
  Llama,
  loraParameters,
  mergeAdapters,
  setAdaptersEnabled,
  unmergeAdapters,
  withAdaptersDisabled,
} from '../src/index.js';
import { bitDifferences, expectClose } from './helpers.js';

const IDS = [
  [1, 4, 2, 7, 3, 3],
  [0, 6, 6, 5, 2, 8],
];

function llama(): Llama {
  return new Llama(
    { dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 9, maxSeqLen: 16 },
    { seed: 5 },
  );
}

function logitsOf(model: CausalLM): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(IDS, { dtype: 'i32' })).dataSync() as Float32Array));
}

function perturbAdapters(model: CausalLM): void {
  noGrad(() =>
    scope(() => {
      let seed = 40;
      for (const [name, p] of model.namedParameters())
        if (name.endsWith('lora_B')) optim.assignStorage(p, randn(p.shape, { seed: seed++ }));
    }),
  );
}

describe('LoRA', () => {
  test('zero B starts equal to the base', () => {
    const model = llama();
    const base = logitsOf(model);
    applyLoRA(model, { rank: 4, alpha: 8, targets: ['wq', 'wk', 'wv', 'wo'] });
    const adapted = logitsOf(model);
    // x W + 0 equals x W exactly; compare values (a -0 from the zero update would still be equal).
    expect(Array.from(adapted).filter((v, i) => v !== base[i])).toEqual([]);
    model.dispose();
  });

  test('adapters off equal the base bit for bit', () => {
    const model = llama();
    const base = logitsOf(model);
    applyLoRA(model, { rank: 4, targets: /feed_forward\.w[123]$/ });
    perturbAdapters(model);
    const adapted = logitsOf(model);
    expect(bitDifferences(adapted, base).length).toBeGreaterThan(0);
    const reference = withAdaptersDisabled(model, () => logitsOf(model));
    expect(bitDifferences(reference, base)).toEqual([]);
    expect(bitDifferences(logitsOf(model), adapted)).toEqual([]);
    model.dispose();
  });

  test('base is frozen and adapters train', () => {
    const model = llama();
    const targets = applyLoRA(model, { rank: 2, targets: ['wq', 'wv'] });
    expect(targets.layers).toEqual([
      'layers.0.attention.wq',
      'layers.0.attention.wv',
      'layers.1.attention.wq',
      'layers.1.attention.wv',
    ]);
    expect(model.trainableParameters()).toEqual(loraParameters(model));

    const base = withAdaptersDisabled(model, () => logitsOf(model));
    const wqBefore = model.layers.at(0).attention.wq.weight.dataSync() as Float32Array;

    const optimizer = new SGD(model.trainableParameters(), { lr: 0.5 });
    for (let step = 0; step < 2; step++) {
      scope(() => {
        const ids = tensor(IDS, { dtype: 'i32' });
        const loss = crossEntropy(reshape(model.forward(ids), [12, 9]), reshape(ids, [12]));
        loss.backward();
        optimizer.step();
      });
      expect(model.layers.at(0).attention.wq.weight.grad).toBeNull();
      expect(model.layers.at(0).attention.wq.lora?.B.grad).not.toBeNull();
      model.zeroGrad();
    }

    const wqAfter = model.layers.at(0).attention.wq.weight.dataSync() as Float32Array;
    expect(bitDifferences(wqAfter, wqBefore)).toEqual([]);
    expect(bitDifferences(logitsOf(model), base).length).toBeGreaterThan(0);
    expect(
      bitDifferences(
        withAdaptersDisabled(model, () => logitsOf(model)),
        base,
      ),
    ).toEqual([]);
    optimizer.dispose();
    model.dispose();
  });

  test('targets select layers by pattern', () => {
    const model = new GPT({ vocabSize: 7, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2 });
    const config = applyLoRA(model, { rank: 2, targets: /attn\.c_(attn|proj)$/ });
    expect(config.layers).toEqual([
      'h.0.attn.c_attn',
      'h.0.attn.c_proj',
      'h.1.attn.c_attn',
      'h.1.attn.c_proj',
    ]);
    expect(model.h.at(0).attn.c_attn.lora?.A.shape).toEqual([2, 8]);
    expect(model.h.at(0).attn.c_attn.lora?.B.shape).toEqual([24, 2]);
    expect(() => applyLoRA(model, { rank: 2, targets: 'c_fc' })).toThrow(/already has adapters on 4 layers/);
    model.dispose();
    const other = new GPT({ vocabSize: 7, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 });
    expect(() => applyLoRA(other, { rank: 2, targets: 'q_proj' })).toThrow(AdapterError);
    expect(() => applyLoRA(other, { rank: 2, targets: 'q_proj' })).toThrow(
      /no dense layer matches q_proj\. Layers: h\.0\.attn\.c_attn/,
    );
    other.dispose();
  });

  test('merge keeps the adapted function', () => {
    const model = new GPT({ vocabSize: 9, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2 }, { seed: 9 });
    const base = logitsOf(model);
    applyLoRA(model, { rank: 3, alpha: 6, targets: ['c_attn', 'c_fc'] });
    perturbAdapters(model);
    const adapted = logitsOf(model);
    mergeAdapters(model);
    expectClose(logitsOf(model), adapted, 1e-5, 1e-5);
    expect(() => setAdaptersEnabled(model, false)).toThrow(/merged into the base weights/);
    unmergeAdapters(model);
    expectClose(
      withAdaptersDisabled(model, () => logitsOf(model)),
      base,
      1e-5,
      1e-5,
    );
    model.dispose();
  });

  test('disabled state is restored after errors and promises', async () => {
    const model = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    applyLoRA(model, { rank: 1, targets: 'c_fc' });
    expect(() =>
      withAdaptersDisabled(model, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(model.adapterSwitch.enabled).toBe(true);
    const seen = await withAdaptersDisabled(model, async () => model.adapterSwitch.enabled);
    expect(seen).toBe(false);
    expect(model.adapterSwitch.enabled).toBe(true);
    model.dispose();
  });
});
