// The dpo-ties Method on a tiny random Llama with the byte tokenizer: step-0 losses with the policy
// equal to the reference, deterministic reference log-probs, config checks, pair construction, and
// one short end-to-end run through the trainer's runner.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteTokenizer, derivePairs, type PreferencePair } from '@lab/data';
import { createModel, llamaConfig } from '@lab/models';
import { loadModel, saveModel } from '@lab/models/node';
import { Dropout, memory, nn, scope } from '@lab/tensor';
import { ConfigError, Reference, runMethod } from '@lab/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lossSettings, method, sentimentComparisons } from '../src/index.js';
import { batchMargins, collatePairs, dropoutOff, pairLoss } from '../src/method/batch.js';
import { dpoTiesConfig } from '../src/method/config.js';
import { tokenizePairs } from '../src/method/pairs.js';
import { expectClose } from './helpers.js';

let root: string;
let modelDir: string;
let dataFile: string;

const PAIRS: PreferencePair[] = Array.from({ length: 24 }, (_, i) => ({
  prompt: `Q${i % 5}: `,
  chosen: i % 3 === 0 ? `fine ${i}` : `good day ${i}`,
  rejected: i % 3 === 0 ? `fine ${i + 1}` : `bad ${i}`,
  tie: i % 3 === 0,
}));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dpo-ties-'));
  modelDir = join(root, 'model');
  const model = createModel(
    llamaConfig({ dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, vocabSize: 259, maxSeqLen: 64 }),
    { seed: 3 },
  );
  await saveModel(modelDir, model);
  model.dispose();
  dataFile = join(root, 'pairs.jsonl');
  writeFileSync(dataFile, PAIRS.map((p) => JSON.stringify(p)).join('\n'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function policyAndReference() {
  const policy = await loadModel(modelDir);
  const referenceModel = await loadModel(modelDir);
  const reference = await Reference.create(
    { mode: 'frozen-copy', model: referenceModel },
    { policy, tokenizerHash: 'bytes', cacheDir: null, maxLength: 32 },
  );
  return { policy, referenceModel, reference };
}

describe('step zero with policy equal to reference', () => {
  it('losses match closed forms', async () => {
    const { policy, referenceModel, reference } = await policyAndReference();
    const rows = tokenizePairs(new ByteTokenizer(), PAIRS.slice(0, 6)); // ties at rows 0 and 3
    const batch = await collatePairs(rows, reference, {
      maxLength: 32,
      truncation: 'keep-end',
      backend: 'cpu',
    });
    const defaults = { ...dpoTiesConfig.defaults };
    scope(() => {
      // d = 0: DPO ln 2 per pair; DPO-RK and DPO-D ln 4 per clear pair and ln 2 per tie.
      const dpo = pairLoss(policy, batch, lossSettings({ ...defaults, loss: 'dpo' })).loss.dataSync()[0];
      const rk = pairLoss(policy, batch, lossSettings({ ...defaults, loss: 'dpo-rk' })).loss.dataSync()[0];
      const dav = pairLoss(policy, batch, lossSettings({ ...defaults, loss: 'dpo-d' })).loss.dataSync()[0];
      const mixed = (4 * Math.log(4) + 2 * Math.LN2) / 6;
      expectClose(dpo, Math.LN2, 1e-6, 'dpo');
      expectClose(rk, mixed, 1e-6, 'dpo-rk');
      expectClose(dav, mixed, 1e-6, 'dpo-d');
      const margins = Array.from(batchMargins(policy, batch, lossSettings(defaults)).margin.dataSync());
      for (const m of margins) expect(Math.abs(m)).toBeLessThan(1e-6);
    });
    for (const t of Object.values(batch)) if (typeof t === 'object') t.dispose();
    policy.dispose();
    referenceModel.dispose();
  });

  it('reference log-probs are deterministic', async () => {
    const { policy, referenceModel, reference } = await policyAndReference();
    const rows = tokenizePairs(new ByteTokenizer(), PAIRS.slice(0, 4)).flatMap((r) => [r.chosen, r.rejected]);
    const first = await reference.tokenLogProbs(rows);
    const second = await reference.tokenLogProbs(rows);
    expect(second).toEqual(first);
    expect(reference.stats.forwardPasses).toBe(2);
    policy.dispose();
    referenceModel.dispose();
  });
});

describe('method pieces', () => {
  it('dropout switched off in policy', () => {
    const model = new nn.Sequential(new Dropout(0.5)).train();
    dropoutOff(model);
    const dropouts = model.namedModules().filter(([, m]) => m instanceof Dropout);
    expect(dropouts.length).toBe(1);
    expect(dropouts[0][1].training).toBe(false);
  });

  it('sentiment groups give clear and tied pairs', () => {
    const rows = [1, 0, 1, 0, 0, 0, 1, 1].map((label, i) => ({ text: `s${i}`, label }));
    const pairs = derivePairs(sentimentComparisons(rows, 4, 0), { tieThreshold: 0, strategy: 'extremes' });
    // Each group of four with both labels gives one clear pair (positive chosen) and one tie.
    const clear = pairs.filter((p) => !p.tie);
    expect(pairs.filter((p) => p.tie).length).toBe(2);
    for (const p of clear) expect(rows.find((r) => r.text === p.chosen)?.label).toBe(1);
    for (const p of clear) expect(rows.find((r) => r.text === p.rejected)?.label).toBe(0);
  });

  it('defaults follow the paper', () => {
    const d = dpoTiesConfig.defaults;
    expect([d.beta, d.nuRaoKupper, d.nuDavidson, d.lengthNormalize, d.train.clipNorm]).toEqual([
      0.1,
      3,
      1,
      false,
      10,
    ]);
  });
});

describe('end to end run', () => {
  const base = () => ({
    model: { path: modelDir, tokenizer: 'bytes' },
    data: { format: 'preference', train: dataFile, holdoutFraction: 0.25, maxLength: 32 },
    train: { steps: 3, batchSize: 4, logEvery: 1, lr: 1e-2 },
    eval: { klSamples: 2, klMaxTokens: 4, batchSize: 8 },
  });

  it('trains and evaluates', async () => {
    const out = join(root, 'run');
    const outcome = await runMethod({
      method,
      config: base(),
      out,
      backend: 'cpu',
      seed: 0,
      logLevel: 'silent',
      handleSigint: false,
    });
    expect(outcome.status).toBe('finished');
    const metrics = outcome.eval!.metrics;
    for (const name of [
      'accuracy',
      'threeWayAccuracyRK',
      'threeWayAccuracyD',
      'heldOutLoss',
      'klSequence',
      'tieMarginMean',
    ]) {
      expect(Number.isFinite(metrics[name]), name).toBe(true);
    }
    expect(metrics.heldOutPairs).toBe(6);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const first = lines.find((l) => l.split === 'train');
    // Step 1's loss is taken before any update: d = 0 for every pair, so ln 4 or ln 2 per pair.
    expect(first.metrics.loss.value).toBeGreaterThan(Math.LN2 - 1e-6);
    expect(first.metrics.loss.value).toBeLessThan(Math.log(4) + 1e-6);
    expect(Number.isFinite(first.metrics.tieShare.value)).toBe(true);
    expect(memory().tensors).toBe(0);
  });

  it('rejects rao-kupper nu 1 with ties', async () => {
    const bad = { ...base(), nuRaoKupper: 1 };
    await expect(
      runMethod({
        method,
        config: bad,
        out: join(root, 'bad'),
        backend: 'cpu',
        logLevel: 'silent',
        handleSigint: false,
      }),
    ).rejects.toThrow(ConfigError);
  });

  it('rejects unknown config field', async () => {
    const bad = { ...base(), nuRK: 3 };
    await expect(
      runMethod({
        method,
        config: bad,
        out: join(root, 'bad2'),
        backend: 'cpu',
        logLevel: 'silent',
        handleSigint: false,
      }),
    ).rejects.toThrow(/nuRK/);
  });
});
