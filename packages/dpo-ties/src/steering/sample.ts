/**
 * Sampling for the steering task, batched through @lab/models' generateBatch: story prompts (BOS and
 * a few tokens drawn from the model), several continuations per prompt, and the evaluation samples of
 * a policy. Every row has its own seed, derived from the task seed, a stream number and the row's
 * index, so a row is the same whatever batch it runs in.
 */
import type { Tokenizer } from '@lab/data';
import { type CausalLM, type GenerateBatchRow, generateBatch } from '@lab/models';
import { SteeringError } from '../errors.js';

/** Seed streams, so prompts, training samples and evaluation samples never share draws. */
export const SEED_STREAM = { prompts: 1, samples: 2, evaluation: 3 } as const;

/** Returns a row seed, distinct for every (seed, stream, index) with index below one million. */
export function rowSeed(seed: number, stream: number, index: number): number {
  return seed * 10_000_000 + stream * 1_000_000 + index;
}

export interface SamplingSettings {
  temperature: number;
  /** Rows per forward pass. */
  batch: number;
}

export type ProgressFn = (done: number, total: number) => void;

/** Prompt ids: BOS and `tokens` tokens drawn from the model, one seeded row per prompt. */
export async function samplePrompts(
  model: CausalLM,
  tokenizer: Tokenizer,
  count: number,
  tokens: number,
  seed: number,
  settings: SamplingSettings,
  onProgress?: ProgressFn,
): Promise<number[][]> {
  const bos = tokenizer.special.bos;
  if (bos === undefined) {
    throw new SteeringError(
      'model.tokenizer',
      `${tokenizer.name} has no BOS token, and story prompts start with one; use the model's llama2.c tokenizer (tok512.bin)`,
    );
  }
  const starts = Array.from({ length: count }, () => [bos]);
  const result = await generateBatch(model, starts, {
    maxNewTokens: tokens,
    temperature: settings.temperature,
    seeds: starts.map((_, i) => rowSeed(seed, SEED_STREAM.prompts, i)),
    maxBatch: settings.batch,
    onProgress,
  });
  return result.rows.map((r) => [bos, ...r.tokens]);
}

/**
 * `perPrompt` continuations of each prompt, grouped by prompt. Row k of prompt i draws from seed
 * index `i * perPrompt + k` of `stream`.
 */
export async function sampleContinuations(
  model: CausalLM,
  tokenizer: Tokenizer,
  prompts: readonly (readonly number[])[],
  perPrompt: number,
  maxTokens: number,
  seed: number,
  stream: number,
  settings: SamplingSettings,
  onProgress?: ProgressFn,
): Promise<GenerateBatchRow[][]> {
  const rows = prompts.flatMap((p) => Array.from({ length: perPrompt }, () => p));
  const result = await generateBatch(model, rows, {
    maxNewTokens: maxTokens,
    temperature: settings.temperature,
    eosId: tokenizer.special.eos,
    seeds: rows.map((_, r) => rowSeed(seed, stream, r)),
    maxBatch: settings.batch,
    onProgress,
  });
  return prompts.map((_, i) => result.rows.slice(i * perPrompt, (i + 1) * perPrompt));
}
