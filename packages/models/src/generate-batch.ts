import { fromArray, narrow, noGrad, reshape, scope, type Tensor } from '@lab/tensor';
import { GenerationError } from './errors.js';
import { checkTokens, eosSet, type StopReason } from './generate.js';
import type { CausalLM } from './model.js';
import { sampleIndex, type SamplingOptions, SeededRandom, samplingDistribution } from './sampling.js';

export interface GenerateBatchOptions extends SamplingOptions {
  /** Maximum number of tokens to generate after each prompt. */
  maxNewTokens: number;
  /** Ids that end a row; the id that stops it is the row's last output token. */
  eosId?: number | readonly number[];
  /**
   * One seed per prompt. Each row draws from its own stream, so a row's tokens do not depend on
   * which other prompts share its batch: row i equals `generate(model, prompts[i], { seed: seeds[i] })`.
   */
  seeds: readonly number[];
  /** Rows per forward pass (default: all rows of one prompt length at once). */
  maxBatch?: number;
  /** Called after each forward pass with the rows finished so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateBatchRow {
  /** The new tokens, without the prompt. */
  tokens: number[];
  /**
   * log p(token | prefix) of each new token under the model itself (temperature 1, no top-k/top-p),
   * what a sequence log-prob or a KL estimate needs.
   */
  logProbs: number[];
  stopReason: StopReason;
}

export interface GenerateBatchResult {
  rows: GenerateBatchRow[];
  /** Forward passes of the model over all batches. */
  forwardCalls: number;
}

/** log softmax(logits)[index], in double precision. */
function logSoftmaxAt(logits: ArrayLike<number>, offset: number, size: number, index: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < size; v++) max = Math.max(max, logits[offset + v]);
  let total = 0;
  for (let v = 0; v < size; v++) total += Math.exp(logits[offset + v] - max);
  return logits[offset + index] - max - Math.log(total);
}

/** Logits of the last position of every row, (B, V) flattened row-major. */
async function lastLogits(
  model: CausalLM,
  ids: Int32Array,
  rows: number,
  length: number,
  cache: ReturnType<CausalLM['createCache']>,
): Promise<Float32Array> {
  const last: Tensor = noGrad(() =>
    scope(() => {
      const input = fromArray(ids, [rows, length], { dtype: 'i32', backend: model.backendName });
      const logits = model.forward(input, { cache }); // (B, T, V)
      return reshape(narrow(logits, 1, length - 1, 1), [rows, model.vocabSize]).contiguous(); // (B, V)
    }),
  );
  try {
    return Float32Array.from(await last.data());
  } finally {
    last.dispose();
  }
}

/**
 * Samples continuations of many prompts with one forward pass per new token for the whole batch,
 * keeping past keys and values in a shared KV cache. The model has no padding mask, so rows of one
 * batch must have prompts of equal length: prompts are grouped by length, and each group runs in
 * batches of at most `maxBatch` rows. A row that emits an EOS id stops. Its batch keeps running until
 * every row has stopped or reached `maxNewTokens`, and a stopped row draws nothing more.
 */
export async function generateBatch(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerateBatchOptions,
): Promise<GenerateBatchResult> {
  if (options.seeds.length !== prompts.length) {
    throw new GenerationError(
      'generateBatch',
      `got ${options.seeds.length} seeds for ${prompts.length} prompts; pass one seed per prompt`,
    );
  }
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new GenerationError(
      'generateBatch',
      `maxNewTokens ${options.maxNewTokens} must be a non-negative integer`,
    );
  }
  const maxBatch = options.maxBatch ?? Number.POSITIVE_INFINITY;
  if (!(maxBatch >= 1))
    throw new GenerationError('generateBatch', `maxBatch ${options.maxBatch} must be at least 1`);
  for (const p of prompts) checkTokens('generateBatch', model, p);

  const rows: GenerateBatchRow[] = prompts.map(() => ({ tokens: [], logProbs: [], stopReason: 'maxTokens' }));
  const byLength = new Map<number, number[]>();
  prompts.forEach((p, i) => {
    const members = byLength.get(p.length) ?? [];
    members.push(i);
    byLength.set(p.length, members);
  });
  let forwardCalls = 0;
  let finished = 0;
  for (const members of byLength.values()) {
    for (let start = 0; start < members.length; start += maxBatch) {
      const chunk = members.slice(start, start + maxBatch);
      forwardCalls += await sampleChunk(model, prompts, chunk, rows, options);
      finished += chunk.length;
      options.onProgress?.(finished, prompts.length);
    }
  }
  return { rows, forwardCalls };
}

/** The sampling state of one batch: its rows' streams and which rows still generate. */
interface ChunkState {
  chunk: readonly number[];
  randoms: SeededRandom[];
  active: boolean[];
  eos: Set<number>;
}

/** Draws the next token of every active row from its logits (B, V) and returns the next input ids (B). */
function drawTokens(
  logits: Float32Array,
  state: ChunkState,
  rows: GenerateBatchRow[],
  options: GenerateBatchOptions,
  V: number,
): Int32Array {
  const next = new Int32Array(state.chunk.length);
  state.chunk.forEach((index, b) => {
    const out = rows[index];
    if (!state.active[b]) {
      // A stopped row still needs an input position to keep the batch rectangular; its output is done.
      next[b] = out.tokens[out.tokens.length - 1];
      return;
    }
    const token = sampleIndex(
      samplingDistribution(logits.subarray(b * V, (b + 1) * V), options),
      state.randoms[b].next(),
    );
    next[b] = token;
    out.tokens.push(token);
    out.logProbs.push(logSoftmaxAt(logits, b * V, V, token));
    if (state.eos.has(token)) {
      out.stopReason = 'eos';
      state.active[b] = false;
    }
  });
  return next;
}

/** Generates the rows `chunk` (prompts of one length) together and returns the forward passes made. */
async function sampleChunk(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  chunk: readonly number[],
  rows: GenerateBatchRow[],
  options: GenerateBatchOptions,
): Promise<number> {
  const B = chunk.length;
  const promptLength = prompts[chunk[0]].length;
  const state: ChunkState = {
    chunk,
    randoms: chunk.map((i) => new SeededRandom(options.seeds[i])),
    active: new Array<boolean>(B).fill(true),
    eos: eosSet(options.eosId),
  };
  const budget = Math.min(options.maxNewTokens, model.maxSeqLen - promptLength);
  let input: Int32Array = new Int32Array(B * promptLength);
  chunk.forEach((i, b) => {
    input.set(prompts[i], b * promptLength);
  });

  let length = promptLength;
  let calls = 0;
  const cache = model.createCache();
  try {
    for (let step = 0; step < budget && state.active.some(Boolean); step++) {
      const logits = await lastLogits(model, input, B, length, cache); // (B, V)
      calls++;
      input = drawTokens(logits, state, rows, options, model.vocabSize);
      length = 1;
    }
  } finally {
    cache.dispose();
  }
  if (budget < options.maxNewTokens) {
    for (let b = 0; b < B; b++) if (state.active[b]) rows[chunk[b]].stopReason = 'context';
  }
  return calls;
}
