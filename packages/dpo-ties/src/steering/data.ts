/**
 * The steering task's data: prompts sampled from the reference model, several continuations per
 * prompt scored by the sentiment reward, and per prompt a clear pair (best against worst) and a tied
 * pair (the closest scores). The sampled token ids are cached on disk under a key of the model
 * weights, the tokenizer and the sampling settings, so runs that differ only in their loss share them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tokenizer } from '@lab/data';
import type { CausalLM } from '@lab/models';
import type { TokenizedPreference } from '../method/pairs.js';
import { type PromptPairs, promptPairs, sameTokens } from './pairs.js';
import type { SentimentReward } from './reward.js';
import { SEED_STREAM, sampleContinuations, samplePrompts } from './sample.js';

export interface SteeringSettings {
  prompts: number;
  heldOutPrompts: number;
  promptTokens: number;
  samples: number;
  completionTokens: number;
  temperature: number;
  generationBatch: number;
  seed: number;
}

export interface ScoredSample {
  tokens: number[];
  text: string;
  reward: number;
}

export interface SteeringPrompt {
  /** BOS and the sampled prompt tokens. */
  ids: number[];
  text: string;
  samples: ScoredSample[];
  pairs: PromptPairs;
}

export interface SteeringData {
  train: SteeringPrompt[];
  heldOut: SteeringPrompt[];
  /** True when the sampled ids came from the cache. */
  cached: boolean;
}

interface SampleFile {
  format: 'dpo-ties-steering-samples';
  version: 1;
  key: string;
  prompts: number[][];
  samples: number[][][];
}

export interface SampleSource {
  model: CausalLM;
  tokenizer: Tokenizer;
  /** Hash of the model weights and of the tokenizer: part of the cache key. */
  modelKey: string;
  tokenizerHash: string;
  /** Folder of the sample cache; null turns it off. */
  cacheDir: string | null;
  /** Progress of the two sampling passes. */
  onProgress?: (phase: 'prompts' | 'continuations', done: number, total: number) => void;
}

function cacheKey(source: SampleSource, s: SteeringSettings): string {
  const fields = {
    m: source.modelKey,
    t: source.tokenizerHash,
    n: s.prompts + s.heldOutPrompts,
    p: s.promptTokens,
    k: s.samples,
    c: s.completionTokens,
    temp: s.temperature,
    seed: s.seed,
  };
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

function readCache(path: string, key: string): SampleFile | null {
  if (!existsSync(path)) return null;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as SampleFile;
    return file.format === 'dpo-ties-steering-samples' && file.key === key ? file : null;
  } catch {
    // A file cut short by a killed run is sampled again.
    return null;
  }
}

/** Prompts and continuation ids, from the cache or sampled (and then cached). */
async function sampledIds(
  source: SampleSource,
  s: SteeringSettings,
): Promise<SampleFile & { cached: boolean }> {
  const key = cacheKey(source, s);
  const path = source.cacheDir ? join(source.cacheDir, 'steering', `${key.slice(0, 24)}.json`) : null;
  const hit = path ? readCache(path, key) : null;
  if (hit) return { ...hit, cached: true };
  const settings = { temperature: s.temperature, batch: s.generationBatch };
  const count = s.prompts + s.heldOutPrompts;
  const prompts = await samplePrompts(
    source.model,
    source.tokenizer,
    count,
    s.promptTokens,
    s.seed,
    settings,
    (d, t) => source.onProgress?.('prompts', d, t),
  );
  const rows = await sampleContinuations(
    source.model,
    source.tokenizer,
    prompts,
    s.samples,
    s.completionTokens,
    s.seed,
    SEED_STREAM.samples,
    settings,
    (d, t) => source.onProgress?.('continuations', d, t),
  );
  const file: SampleFile = {
    format: 'dpo-ties-steering-samples',
    version: 1,
    key,
    prompts,
    samples: rows.map((group) => group.map((r) => r.tokens)),
  };
  if (path) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(file));
  }
  return { ...file, cached: false };
}

/** Scores a prompt's samples and picks its clear and tied pairs. */
export function scorePrompt(
  ids: number[],
  samples: readonly number[][],
  tokenizer: Tokenizer,
  reward: SentimentReward,
): SteeringPrompt {
  const scored = samples.map((tokens) => {
    const text = tokenizer.decode(tokens);
    return { tokens, text, reward: reward.score(text) };
  });
  const pairs = promptPairs(
    scored.map((x) => x.reward),
    (i, j) => sameTokens(scored[i].tokens, scored[j].tokens),
  );
  return { ids, text: tokenizer.decode(ids), samples: scored, pairs };
}

/** Samples (or reads) the prompts and continuations, scores them and builds the pairs. */
export async function prepareSteeringData(
  source: SampleSource,
  settings: SteeringSettings,
  reward: SentimentReward,
): Promise<SteeringData> {
  const ids = await sampledIds(source, settings);
  const prompts = ids.prompts.map((p, i) => scorePrompt(p, ids.samples[i], source.tokenizer, reward));
  return {
    train: prompts.slice(0, settings.prompts),
    heldOut: prompts.slice(settings.prompts),
    cached: ids.cached,
  };
}

/** Returns the prompt's pairs as training rows: the clear pair, then the tie when `ties` is true. */
export function promptPreferences(prompt: SteeringPrompt, ties: boolean): TokenizedPreference[] {
  const row = (i: number) => ({ prompt: prompt.ids, completion: prompt.samples[i].tokens });
  const out: TokenizedPreference[] = [];
  if (prompt.pairs.clear) {
    const [w, l] = prompt.pairs.clear;
    out.push({ chosen: row(w), rejected: row(l), tie: false });
  }
  if (ties && prompt.pairs.tie) {
    const [w, l] = prompt.pairs.tie;
    out.push({ chosen: row(w), rejected: row(l), tie: true });
  }
  return out;
}

/** Formats one JSON line per prompt for the run directory: the texts, rewards and chosen pairs. */
export function steeringDataLines(data: SteeringData): string {
  const line = (split: string, p: SteeringPrompt, index: number) =>
    JSON.stringify({
      split,
      index,
      prompt: p.text,
      samples: p.samples.map((x) => ({ text: x.text, reward: Number(x.reward.toFixed(4)) })),
      clear: p.pairs.clear,
      tie: p.pairs.tie,
    });
  return [
    ...data.train.map((p, i) => line('train', p, i)),
    ...data.heldOut.map((p, i) => line('heldOut', p, i)),
  ].join('\n');
}
