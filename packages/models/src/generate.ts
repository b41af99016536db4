import { fromArray, narrow, noGrad, reshape, scope, type Tensor } from '@lab/tensor';
import { GenerationError } from './errors.js';
import type { KVCache } from './kv-cache.js';
import type { CausalLM } from './model.js';
import { sampleIndex, type SamplingOptions, SeededRandom, samplingDistribution } from './sampling.js';

export interface GenerateOptions extends SamplingOptions {
  /** Maximum number of tokens to generate after the prompt. */
  maxNewTokens: number;
  /** Ids that end generation; the id that stops it is the last output token. */
  eosId?: number | readonly number[];
  /** Seed of the sampling stream (default 0); ignored when `random` is given. */
  seed?: number;
  random?: SeededRandom;
  /** Keep past keys and values (default true). Off, every step recomputes the whole sequence. */
  useCache?: boolean;
  /** Called with each new token as soon as it is drawn. */
  onToken?: (token: number) => void;
}

export type StopReason = 'eos' | 'maxTokens' | 'context';

export interface GenerateResult {
  /** The new tokens, without the prompt. */
  tokens: number[];
  stopReason: StopReason;
  /** Forward passes of the model. */
  forwardCalls: number;
}

export function eosSet(eosId: number | readonly number[] | undefined): Set<number> {
  if (eosId === undefined) return new Set();
  return new Set(typeof eosId === 'number' ? [eosId] : eosId);
}

export function checkTokens(op: string, model: CausalLM, tokens: readonly number[]): void {
  if (tokens.length === 0)
    throw new GenerationError(op, "the prompt is empty; start it with the vocabulary's BOS id");
  for (const id of tokens) {
    if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) {
      throw new GenerationError(op, `token id ${id} is outside the vocabulary [0, ${model.vocabSize})`);
    }
  }
}

/**
 * Runs the model on `tokens` (continuing `cache` when given) and returns the logits of the last
 * `lastRows` positions as host rows, (lastRows, V) flattened row-major.
 */
export async function forwardLogits(
  model: CausalLM,
  tokens: readonly number[],
  cache: KVCache | null,
  lastRows = 1,
): Promise<Float32Array> {
  const rows: Tensor = noGrad(() =>
    scope(() => {
      const ids = fromArray(Int32Array.from(tokens), [1, tokens.length], {
        dtype: 'i32',
        backend: model.backendName,
      });
      const logits = model.forward(ids, cache ? { cache } : {}); // (1, T, V)
      const kept = narrow(logits, 1, tokens.length - lastRows, lastRows); // (1, lastRows, V)
      return reshape(kept, [lastRows, model.vocabSize]).contiguous(); // (lastRows, V)
    }),
  );
  try {
    return Float32Array.from(await rows.data());
  } finally {
    rows.dispose();
  }
}

/**
 * Generates tokens for one prompt, one per forward pass. Each step turns the last position's logits
 * into a distribution (temperature, top-k, top-p, with temperature 0 meaning greedy) and draws from it
 * with a seeded stream. Generation stops at an EOS id, after `maxNewTokens`, or when the sequence fills
 * the model's context.
 */
export async function generate(
  model: CausalLM,
  prompt: readonly number[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  checkTokens('generate', model, prompt);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new GenerationError(
      'generate',
      `maxNewTokens ${options.maxNewTokens} must be a non-negative integer`,
    );
  }
  const random = options.random ?? new SeededRandom(options.seed ?? 0);
  const eos = eosSet(options.eosId);
  const cache = (options.useCache ?? true) ? model.createCache() : null;
  const sequence = [...prompt];
  const tokens: number[] = [];
  let forwardCalls = 0;
  let stopReason: StopReason = 'maxTokens';
  try {
    while (tokens.length < options.maxNewTokens) {
      if (sequence.length >= model.maxSeqLen) {
        stopReason = 'context';
        break;
      }
      const pending = cache ? sequence.slice(cache.length) : sequence;
      const logits = await forwardLogits(model, pending, cache);
      forwardCalls++;
      const token = sampleIndex(samplingDistribution(logits, options), random.next());
      tokens.push(token);
      sequence.push(token);
      options.onToken?.(token);
      if (eos.has(token)) {
        stopReason = 'eos';
        break;
      }
    }
  } finally {
    cache?.dispose();
  }
  return { tokens, stopReason, forwardCalls };
}
