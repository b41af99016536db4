// Model-level speed of this project on one backend, one process per (task, backend):
//   node src/models.mjs --task=train|dpo|generate --backend=cpu|wasm|webgpu
//   node src/models.mjs --task=export --out=DIR     (initial GPT weights for the PyTorch script)
// train: one GPT training step (forward, cross-entropy, backward, AdamW) at TRAIN_CONFIG, tokens/s.
// dpo: one DPO step on stories260K (policy and reference forward over 8 pairs of 64 tokens, policy
//   backward, AdamW), pair tokens/s. generate: greedy decoding from BOS with the KV cache, tokens/s.
import { mkdirSync, writeFileSync } from 'node:fs';
import { arg, emit, randomIds, reason, startDawn, timeMedian } from './common.mjs';

/** The fixed small GPT of the training benchmark; run.mjs prints it in the report. */
export const TRAIN_CONFIG = { nLayer: 2, nEmbd: 128, nHead: 4, nPositions: 64, vocabSize: 256, batch: 8, seed: 0 };
export const DPO_CONFIG = { pairs: 8, seqLen: 64, promptLen: 16, beta: 0.1 };
export const GENERATE_TOKENS = 64;
const STORIES = new URL('../../../data/stories260K/stories260K.bin', import.meta.url).pathname;

/**
 * Estimated forward FLOPs per token: 2 per weight of every matrix product (learned position tables
 * excluded, the tied classifier included) plus 4 T C per layer for the scores and their weighted sum.
 */
function forwardFlopsPerToken(model, context) {
  const c = model.config;
  const layers = c.nLayer ?? c.nLayers;
  const width = c.nEmbd ?? c.dim;
  let weights = 0;
  for (const [name, p] of model.namedParameters()) if (p.rank === 2 && name !== 'wpe.weight') weights += p.size;
  return 2 * weights + 4 * layers * context * width;
}

async function setBackend(backend) {
  const info = {};
  if (backend === 'webgpu') info.adapter = (await startDawn()).adapter;
  const lab = await import('@lab/tensor');
  if (backend === 'webgpu') await lab.initWebGPU();
  lab.useBackend(backend);
  const b = lab.getBackend(backend);
  if (b.limits?.threads) info.threads = b.limits.threads;
  // On SwiftShader (the GPU emulated on the CPU) one training step takes about 40 s, so one sample
  // without warm-up is all that fits the run's time limit.
  info.timing = /swiftshader/i.test(info.adapter ?? '')
    ? { warmups: 0, runs: 1, budgetSeconds: 0 }
    : { warmups: 1, runs: 5, budgetSeconds: 30 };
  return { lab, info };
}

function gptModel(lab, models, backend) {
  const { batch, seed, ...config } = TRAIN_CONFIG;
  return new models.GPT(config, { seed, backend, dtype: 'f32' });
}

/** Inputs and next-token targets of the training batch, shared with the PyTorch script. */
export function trainBatch() {
  const { batch, nPositions: t, vocabSize } = TRAIN_CONFIG;
  const ids = randomIds(batch * (t + 1), vocabSize, 7);
  const x = new Int32Array(batch * t);
  const y = new Int32Array(batch * t);
  for (let b = 0; b < batch; b++) {
    x.set(ids.subarray(b * (t + 1), b * (t + 1) + t), b * t);
    y.set(ids.subarray(b * (t + 1) + 1, (b + 1) * (t + 1)), b * t);
  }
  return { x, y };
}

async function train(backend) {
  const { lab, info } = await setBackend(backend);
  const models = await import('@lab/models');
  const model = gptModel(lab, models, backend);
  const optimizer = new lab.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
  const { batch, nPositions: t } = TRAIN_CONFIG;
  const { x, y } = trainBatch();
  const inputs = lab.fromArray(x, [batch, t], { dtype: 'i32', backend }); // (B, T)
  const targets = lab.fromArray(y, [batch, t], { dtype: 'i32', backend }); // (B, T)
  const losses = [];
  const step = async () => {
    const loss = lab.scope(() => {
      const logits = model.forward(inputs); // (B, T, V)
      const l = lab.crossEntropy(logits, targets);
      l.backward();
      optimizer.step();
      optimizer.zeroGrad();
      return l.detach();
    });
    losses.push((await loss.data())[0]);
    loss.dispose();
    await model.ln_f.bias.data(); // the update has landed
  };
  const { seconds, samples } = await timeMedian(step, info.timing);
  const flops = 3 * forwardFlopsPerToken(model, t) * batch * t; // backward costs two forwards
  return { info, tokensPerSecond: (batch * t) / seconds, stepSeconds: seconds, samples, firstLoss: losses[0], gflops: flops / seconds / 1e9 };
}

async function dpo(backend) {
  const { lab, info } = await setBackend(backend);
  const models = await import('@lab/models');
  const { loadLlama2c } = await import('@lab/models/node');
  const { dpoLoss } = await import('@lab/dpo-ties');
  const policy = await loadLlama2c(STORIES, { backend });
  const reference = await loadLlama2c(STORIES, { backend });
  reference.freeze();
  const optimizer = new lab.AdamW(policy.parameters(), { lr: 1e-5, weightDecay: 0 });
  const { pairs, seqLen, promptLen, beta } = DPO_CONFIG;
  // Rows 0..pairs-1 are the chosen completions, the rest the rejected ones; they share the prompt.
  const raw = randomIds(2 * pairs * seqLen, policy.vocabSize, 11);
  for (let r = 0; r < 2 * pairs; r++) {
    raw[r * seqLen] = 1; // BOS
    if (r >= pairs) raw.copyWithin(r * seqLen, (r - pairs) * seqLen, (r - pairs) * seqLen + promptLen);
  }
  const mask = new Float32Array(2 * pairs * seqLen).map((_, i) => (i % seqLen >= promptLen ? 1 : 0));
  const ids = lab.fromArray(raw, [2 * pairs, seqLen], { dtype: 'i32', backend }); // (2P, T)
  const lossMask = lab.fromArray(mask, [2 * pairs, seqLen], { backend }); // (2P, T)
  const step = async () => {
    const loss = lab.scope(() => {
      const ref = models.sequenceLogProbs(reference, ids, lossMask, { grad: false }).sum; // (2P)
      const pol = models.sequenceLogProbs(policy, ids, lossMask).sum; // (2P)
      const l = dpoLoss(
        {
          policyChosen: lab.narrow(pol, 0, 0, pairs),
          policyRejected: lab.narrow(pol, 0, pairs, pairs),
          referenceChosen: lab.narrow(ref, 0, 0, pairs),
          referenceRejected: lab.narrow(ref, 0, pairs, pairs),
        },
        { beta },
      );
      l.backward();
      optimizer.step();
      optimizer.zeroGrad();
      return l.detach();
    });
    await loss.data();
    loss.dispose();
  };
  const { seconds, samples } = await timeMedian(step, info.timing);
  // reference forward (1) + policy forward and backward (3)
  const flops = 4 * forwardFlopsPerToken(policy, seqLen) * 2 * pairs * seqLen;
  return { info, tokensPerSecond: (2 * pairs * seqLen) / seconds, stepSeconds: seconds, samples, gflops: flops / seconds / 1e9 };
}

async function generateSpeed(backend) {
  const { info } = await setBackend(backend);
  const { generate } = await import('@lab/models');
  const { loadLlama2c } = await import('@lab/models/node');
  const model = await loadLlama2c(STORIES, { backend });
  await generate(model, [1], { maxNewTokens: 8, temperature: 0 }); // compiles kernels, fills caches
  let produced = GENERATE_TOKENS;
  const once = async () => {
    const result = await generate(model, [1], { maxNewTokens: GENERATE_TOKENS, temperature: 0 });
    produced = result.tokens.length;
  };
  const { seconds, samples } = await timeMedian(once, { ...info.timing, warmups: 0, runs: Math.min(3, info.timing.runs) });
  const flops = forwardFlopsPerToken(model, produced / 2) * produced; // mean cached context: half
  return { info, tokensPerSecond: produced / seconds, tokens: produced, samples, gflops: flops / seconds / 1e9 };
}

/** Writes the seed-0 GPT's parameters as raw little-endian f32 plus a JSON index, and the batch. */
async function exportWeights(out) {
  const lab = await import('@lab/tensor');
  const models = await import('@lab/models');
  lab.useBackend('cpu');
  const model = gptModel(lab, models, 'cpu');
  mkdirSync(out, { recursive: true });
  const index = [];
  const chunks = [];
  let offset = 0;
  for (const [name, p] of model.namedParameters()) {
    const data = Float32Array.from(p.dataSync());
    index.push({ name, shape: p.shape, offset, length: data.length });
    chunks.push(Buffer.from(data.buffer));
    offset += data.length;
  }
  const { x, y } = trainBatch();
  writeFileSync(`${out}/weights.f32`, Buffer.concat(chunks));
  writeFileSync(`${out}/batch.i32`, Buffer.concat([Buffer.from(x.buffer), Buffer.from(y.buffer)]));
  writeFileSync(`${out}/index.json`, JSON.stringify({ config: TRAIN_CONFIG, params: index }));
  model.dispose();
  return { params: index.length, floats: offset };
}

async function main() {
  const task = arg('task');
  const backend = arg('backend', 'cpu');
  const tasks = { train, dpo, generate: generateSpeed };
  try {
    if (task === 'export') emit({ task, ...(await exportWeights(arg('out'))) });
    else if (tasks[task]) emit({ task, backend, ...(await tasks[task](backend)) });
    else throw new Error(`unknown --task=${task}; expected train, dpo, generate or export`);
  } catch (error) {
    emit({ task, backend, skipped: reason(error) });
  }
  process.exit(0); // wasm workers and Dawn keep the event loop alive
}

if (process.argv[1] === new URL(import.meta.url).pathname) await main();
