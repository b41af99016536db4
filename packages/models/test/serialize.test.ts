import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, optim, randn, scope, StateDictError, tensor } from '@lab/tensor';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AdapterError,
  applyLoRA,
  type CausalLM,
  CheckpointError,
  GPT,
  Llama,
  loadModelBytes,
  mergeAdapters,
  saveModelBytes,
  withAdaptersDisabled,
} from '../src/index.js';
import { loadModel, saveModel } from '../src/node.js';
import { bitDifferences } from './helpers.js';

const IDS = [
  [1, 4, 2, 7, 3],
  [0, 6, 6, 5, 2],
];

function logitsOf(model: CausalLM): Float32Array {
  return noGrad(() => scope(() => model.forward(tensor(IDS, { dtype: 'i32' })).dataSync() as Float32Array));
}

/** Gives every LoRA B a random value, so the adapters change the output. */
function perturbAdapters(model: CausalLM, seed: number): void {
  noGrad(() =>
    scope(() => {
      for (const [name, p] of model.namedParameters())
        if (name.endsWith('lora_B')) optim.assignStorage(p, randn(p.shape, { seed: seed++ }));
    }),
  );
}

describe('save and load', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'lab-models-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('llama round trip is bit exact', async () => {
    const model = new Llama(
      {
        dim: 16,
        hiddenDim: 24,
        nLayers: 2,
        nHeads: 4,
        nKvHeads: 2,
        vocabSize: 9,
        maxSeqLen: 16,
        tieEmbeddings: false,
      },
      { seed: 1 },
    );
    const saved = await saveModelBytes(model);
    const loaded = loadModelBytes(JSON.stringify(saved.config), saved.weights);
    expect(bitDifferences(logitsOf(loaded), logitsOf(model))).toEqual([]);
    expect(loaded.config).toEqual(model.config);
    model.dispose();
    loaded.dispose();
  });

  test('gpt round trip through a directory', async () => {
    const model = new GPT({ vocabSize: 9, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2 }, { seed: 2 });
    const path = join(directory, 'gpt');
    await saveModel(path, model);
    const config = JSON.parse(await readFile(join(path, 'config.json'), 'utf8'));
    expect(config).toEqual({
      format: 'lab-models',
      version: 1,
      model: {
        architecture: 'gpt',
        vocabSize: 9,
        nPositions: 8,
        nEmbd: 8,
        nLayer: 2,
        nHead: 2,
        layerNormEps: 1e-5,
      },
    });
    const loaded = await loadModel(path);
    expect(bitDifferences(logitsOf(loaded), logitsOf(model))).toEqual([]);
    model.dispose();
    loaded.dispose();
  });

  test('lora model round trip keeps adapters', async () => {
    const model = new Llama(
      { dim: 8, hiddenDim: 12, nLayers: 1, nHeads: 2, vocabSize: 9, maxSeqLen: 8 },
      { seed: 3 },
    );
    applyLoRA(model, { rank: 2, alpha: 4, targets: ['wq', 'wv'] });
    perturbAdapters(model, 10);
    const saved = await saveModelBytes(model);
    expect(saved.config.lora).toEqual({
      rank: 2,
      alpha: 4,
      layers: ['layers.0.attention.wq', 'layers.0.attention.wv'],
    });
    const loaded = loadModelBytes(saved.config, saved.weights);
    expect(bitDifferences(logitsOf(loaded), logitsOf(model))).toEqual([]);
    const baseLoaded = withAdaptersDisabled(loaded, () => logitsOf(loaded));
    const baseOriginal = withAdaptersDisabled(model, () => logitsOf(model));
    expect(bitDifferences(baseLoaded, baseOriginal)).toEqual([]);
    model.dispose();
    loaded.dispose();
  });

  test('merged adapters refuse to save', async () => {
    const model = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    applyLoRA(model, { rank: 1, targets: 'c_attn' });
    mergeAdapters(model);
    await expect(saveModelBytes(model)).rejects.toThrow(AdapterError);
    model.dispose();
  });

  test('bad config fields are named', async () => {
    const model = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    const { config, weights } = await saveModelBytes(model);
    expect(() => loadModelBytes('{"format": "other"}', weights)).toThrow(
      /format: expected \{"format": "lab-models", "version": 1\}/,
    );
    expect(() => loadModelBytes('not json', weights)).toThrow(CheckpointError);
    const wrongArchitecture = { ...config, model: { ...config.model, architecture: 'rnn' } };
    expect(() => loadModelBytes(JSON.stringify(wrongArchitecture), weights)).toThrow(
      /model\.architecture: must be "llama" or "gpt", got "rnn"/,
    );
    const badHeads = { ...config, model: { ...config.model, nHead: 3 } };
    expect(() => loadModelBytes(JSON.stringify(badHeads), weights)).toThrow(
      /model\.nEmbd: .*must be a multiple of nHead = 3/,
    );
    model.dispose();
  });

  test('weights of another size raise a shape error', async () => {
    const small = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    const { config } = await saveModelBytes(small);
    const bigger = new GPT({ vocabSize: 5, nPositions: 4, nEmbd: 8, nLayer: 1, nHead: 1 });
    const { weights } = await saveModelBytes(bigger);
    expect(() => loadModelBytes(config, weights)).toThrow(StateDictError);
    expect(() => loadModelBytes(config, weights)).toThrow(/shape mismatch for "wte\.weight"/);
    small.dispose();
    bigger.dispose();
  });
});
