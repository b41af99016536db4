// Trains the two small TOFU checkpoints the experiment and the tests start from, and writes them to
// test/fixtures/ as config.json + model.safetensors (float16 weights, read back as float32):
//   tofu-full    fine-tuned on forget10 + the first 200 retain rows TOFU evaluates (the model to unlearn)
//   tofu-retain  the same recipe on the retain rows only (the gold standard of forget quality)
// Usage, from packages/simnpo after `npm run build`:
//   node scripts/make-fixtures.mjs full 7 && node scripts/make-fixtures.mjs retain 7   (the fixtures used 7 epochs)
// Run the two in parallel, one per core. Byte tokenizer (259 ids), because @lab/data has no BPE trainer.
// TODO: train a ~2k-token byte-level BPE on retain90 once @lab/data can, and retrain both fixtures.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteTokenizer, collateArrays, permutation } from '@lab/data';
import { dataPath } from '@lab/data/node';
import { createModel, gptConfig, sequenceLogProbs } from '@lab/models';
import { AdamW, clipGradNorm, fromArray, noGrad, saveSafetensorsBytes, scope, selectBackend } from '@lab/tensor';
import { encodeQa, fitting, loadTofuSets } from '../dist/tofu.js';

export const FIXTURE_MODEL = { vocabSize: 259, nPositions: 160, nEmbd: 64, nLayer: 4, nHead: 4 };
const MAX_LENGTH = 160;
const BATCH = 16;
const LR = 3e-3;
export const RETAIN_ROWS = 200;

const which = process.argv[2];
const epochs = Number(process.argv[3] ?? 8);
if (which !== 'full' && which !== 'retain') throw new Error('usage: node scripts/make-fixtures.mjs full|retain [epochs]');
const { backend } = await selectBackend('wasm');
const tok = new ByteTokenizer();
const sets = await loadTofuSets(dataPath('tofu'));
// Only the first RETAIN_ROWS of the 400 retain rows TOFU evaluates, because all 400 did not fit the CPU time of a 2-core machine.
const retainRows = sets.retainTrain.slice(0, RETAIN_ROWS);
const rows = which === 'full' ? [...retainRows, ...sets.forget] : retainRows;
const encode = (set) => {
  const all = set.map((r) => encodeQa(tok, r.question, r.answer));
  return fitting(all, all, MAX_LENGTH);
};
const examples = encode(rows);
const model = createModel(gptConfig(FIXTURE_MODEL), { backend, seed: 1234 });
const params = model.trainableParameters();
const steps = Math.ceil((examples.length * epochs) / BATCH);
const opt = new AdamW(params, { lr: LR, weightDecay: 0, schedule: warmupCosine(20, steps) });
/** Linear warm-up to LR, then a cosine down to LR / 10 at the last step. */
function warmupCosine(warmup, total) {
  return (step) => (step < warmup ? (LR * (step + 1)) / warmup : LR / 10 + ((LR - LR / 10) * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, total - warmup)))) / 2);
}
console.log(which, { rows: examples.length, params: params.reduce((a, p) => a + p.size, 0), steps });

function batchTensors(batch) {
  const a = collateArrays(batch, { maxLength: MAX_LENGTH, truncation: 'keep-start' });
  return {
    ids: fromArray(a.ids, [a.batchSize, a.length], { dtype: 'i32', backend }),
    mask: fromArray(a.completionMask, [a.batchSize, a.length], { dtype: 'f32', backend }),
  };
}

/** Mean per-token answer NLL of a set, no gradients. */
async function nll(set) {
  let total = 0;
  let count = 0;
  for (let i = 0; i < set.length; i += 32) {
    const [s, c] = noGrad(() =>
      scope(() => {
        const { ids, mask } = batchTensors(set.slice(i, i + 32));
        const lp = sequenceLogProbs(model, ids, mask, { grad: false });
        return [lp.sum.sum(), lp.count.sum()];
      }),
    );
    total -= (await s.data())[0];
    count += (await c.data())[0];
    s.dispose();
    c.dispose();
  }
  return total / count;
}

const started = performance.now();
let order = [];
for (let step = 0; step < steps; step++) {
  if (order.length < BATCH) order = [...order, ...permutation(examples.length, 1000, step)];
  const batch = order.splice(0, BATCH).map((i) => examples[i]);
  const loss = scope(() => {
    const { ids, mask } = batchTensors(batch);
    const lp = sequenceLogProbs(model, ids, mask);
    const l = lp.sum.sum().neg().div(lp.count.sum());
    l.backward();
    return l.detach();
  });
  clipGradNorm(params, 1);
  opt.step();
  opt.zeroGrad();
  if (step % 25 === 0 || step === steps - 1) {
    console.log(`step ${step} loss ${(await loss.data())[0].toFixed(4)} ${((performance.now() - started) / 1000).toFixed(0)}s`);
  }
  loss.dispose();
}
const forgetExamples = encode(sets.forget);
const holdoutExamples = encode(sets.holdout);
const summary = {
  which,
  epochs,
  steps,
  seconds: Math.round((performance.now() - started) / 1000),
  nll: { retain: await nll(examples.slice(0, RETAIN_ROWS)), forget: await nll(forgetExamples), holdout: await nll(holdoutExamples) },
};
console.log(JSON.stringify(summary));
const dir = join(import.meta.dirname, '..', 'test', 'fixtures', `tofu-${which}`);
await mkdir(dir, { recursive: true });
const config = { format: 'lab-models', version: 1, model: { ...model.config } };
const weights = await saveSafetensorsBytes(new Map(model.namedParameters()), { floatDtype: 'F16', metadata: { 'lab.config': JSON.stringify(config) } });
await writeFile(join(dir, 'model.safetensors'), weights);
await writeFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
await writeFile(join(dir, 'training.json'), `${JSON.stringify({ ...summary, model: FIXTURE_MODEL, maxLength: MAX_LENGTH, batch: BATCH, lr: LR, retainRows: RETAIN_ROWS, tokenizer: 'bytes', seed: 1234 }, null, 2)}\n`);
