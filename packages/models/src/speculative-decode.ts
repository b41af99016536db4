import { GenerationError } from './errors.js';
import { checkTokens, eosSet, forwardLogits, type StopReason } from './generate.js';
import type { KVCache } from './kv-cache.js';
import type { CausalLM } from './model.js';
import { sampleIndex, type SamplingOptions, SeededRandom, samplingDistribution } from './sampling.js';
import { argmax, type Verification, verifyDraft, verifyDraftGreedy } from './speculative.js';

/**
 * Counters of speculative decoding. Rates are pooled over tokens (accepted drafts over proposed
 * drafts across every round and request), not averaged per request; `merge` pools two runs.
 */
export class SpeculativeStats {
  /** Drafts proposed. */
  proposed = 0;
  /** Drafts the target kept. */
  accepted = 0;
  /** Verification rounds, one target forward pass each. */
  targetCalls = 0;
  draftCalls = 0;
  /** Tokens appended to the output (kept drafts plus the resampled or bonus token, cut at EOS or the limit). */
  emitted = 0;
  /** proposedAt[i]: rounds that proposed a draft at position i. */
  proposedAt: number[] = [];
  /** acceptedAt[i]: rounds whose draft at position i was kept. */
  acceptedAt: number[] = [];

  /** accepted / proposed (0 before any proposal). */
  get acceptanceRate(): number {
    return this.proposed === 0 ? 0 : this.accepted / this.proposed;
  }

  /** Acceptance rate of each draft position i, over the rounds that drafted position i. */
  get acceptanceByPosition(): number[] {
    return this.proposedAt.map((n, i) => (n === 0 ? 0 : (this.acceptedAt[i] ?? 0) / n));
  }

  /** Mean number of drafts kept per verification round. */
  get meanAcceptedLength(): number {
    return this.targetCalls === 0 ? 0 : this.accepted / this.targetCalls;
  }

  /** Output tokens per target forward pass (1 is plain decoding). */
  get tokensPerTargetCall(): number {
    return this.targetCalls === 0 ? 0 : this.emitted / this.targetCalls;
  }

  record(proposed: number, accepted: number): void {
    this.proposed += proposed;
    this.accepted += accepted;
    this.targetCalls += 1;
    for (let i = 0; i < proposed; i++) {
      this.proposedAt[i] = (this.proposedAt[i] ?? 0) + 1;
      this.acceptedAt[i] = (this.acceptedAt[i] ?? 0) + (i < accepted ? 1 : 0);
    }
  }

  merge(other: SpeculativeStats): this {
    this.proposed += other.proposed;
    this.accepted += other.accepted;
    this.targetCalls += other.targetCalls;
    this.draftCalls += other.draftCalls;
    this.emitted += other.emitted;
    other.proposedAt.forEach((n, i) => {
      this.proposedAt[i] = (this.proposedAt[i] ?? 0) + n;
      this.acceptedAt[i] = (this.acceptedAt[i] ?? 0) + (other.acceptedAt[i] ?? 0);
    });
    return this;
  }

  toJSON() {
    const {
      proposed,
      accepted,
      targetCalls,
      draftCalls,
      emitted,
      acceptanceRate,
      meanAcceptedLength,
      tokensPerTargetCall,
    } = this;
    return {
      proposed,
      accepted,
      targetCalls,
      draftCalls,
      emitted,
      acceptanceRate,
      meanAcceptedLength,
      tokensPerTargetCall,
      acceptanceByPosition: this.acceptanceByPosition,
    };
  }
}

export interface SpeculativeOptions {
  maxNewTokens: number;
  /** Drafts proposed per round (k, default 4). */
  numDraft?: number;
  /** Settings that turn the target's logits into p (default temperature 1). The output follows p. */
  target?: SamplingOptions;
  /** Settings that turn the draft's logits into q, the distribution each draft is drawn from (default temperature 1). */
  draft?: SamplingOptions;
  /** Both models greedy, drafts kept while they match the target's argmax; output equals greedy decoding. */
  greedy?: boolean;
  eosId?: number | readonly number[];
  seed?: number;
  random?: SeededRandom;
}

export interface SpeculativeResult {
  tokens: number[];
  stopReason: StopReason;
  stats: SpeculativeStats;
}

interface Round {
  drafts: number[];
  /** The q row of each draft (empty in greedy mode). */
  draftProbs: Float64Array[];
}

function rowsOf(flat: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: flat.length / width }, (_, i) => flat.subarray(i * width, (i + 1) * width));
}

async function propose(
  draft: CausalLM,
  cache: KVCache,
  sequence: number[],
  k: number,
  options: SpeculativeOptions,
  random: SeededRandom,
  stats: SpeculativeStats,
): Promise<Round> {
  const round: Round = { drafts: [], draftProbs: [] };
  for (let i = 0; i < k; i++) {
    const pending = [...sequence, ...round.drafts].slice(cache.length);
    const logits = await forwardLogits(draft, pending, cache);
    stats.draftCalls++;
    if (options.greedy) {
      round.drafts.push(argmax(logits));
      continue;
    }
    const q = samplingDistribution(logits, options.draft);
    round.drafts.push(sampleIndex(q, random.next()));
    round.draftProbs.push(q);
  }
  return round;
}

async function verify(
  target: CausalLM,
  cache: KVCache,
  sequence: number[],
  round: Round,
  options: SpeculativeOptions,
  random: SeededRandom,
): Promise<Verification> {
  const k = round.drafts.length;
  const pending = [...sequence, ...round.drafts].slice(cache.length);
  const rows = rowsOf(await forwardLogits(target, pending, cache, k + 1), target.vocabSize);
  if (options.greedy) return verifyDraftGreedy(rows, round.drafts);
  const targetProbs = rows.map((row) => samplingDistribution(row, options.target));
  return verifyDraft(targetProbs, round.draftProbs, round.drafts, random);
}

function checkModels(target: CausalLM, draft: CausalLM, options: SpeculativeOptions): number {
  if (target.vocabSize !== draft.vocabSize) {
    throw new GenerationError(
      'speculativeGenerate',
      `the draft's vocabulary (${draft.vocabSize}) differs from the target's (${target.vocabSize}); both must share one tokenizer`,
    );
  }
  const k = options.numDraft ?? 4;
  if (!Number.isInteger(k) || k < 1)
    throw new GenerationError('speculativeGenerate', `numDraft ${k} must be a positive integer`);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new GenerationError(
      'speculativeGenerate',
      `maxNewTokens ${options.maxNewTokens} must be a non-negative integer`,
    );
  }
  return k;
}

/**
 * Generates with speculative decoding. Each round the draft proposes up to k tokens one at a time and
 * the target scores all of them in one forward pass. Exact acceptance sampling then keeps a prefix of
 * the drafts and emits one more token, so the output follows the target's distribution. Both models
 * keep KV caches, which are rolled back to the kept prefix after each round.
 */
export async function speculativeGenerate(
  target: CausalLM,
  draft: CausalLM,
  prompt: readonly number[],
  options: SpeculativeOptions,
): Promise<SpeculativeResult> {
  checkTokens('speculativeGenerate', target, prompt);
  const numDraft = checkModels(target, draft, options);
  const random = options.random ?? new SeededRandom(options.seed ?? 0);
  const eos = eosSet(options.eosId);
  const stats = new SpeculativeStats();
  const limit = Math.min(target.maxSeqLen, draft.maxSeqLen);
  const targetCache = target.createCache();
  const draftCache = draft.createCache();
  const sequence = [...prompt];
  const tokens: number[] = [];
  let stopReason: StopReason = 'maxTokens';
  try {
    while (tokens.length < options.maxNewTokens && stopReason === 'maxTokens') {
      if (sequence.length >= limit) {
        stopReason = 'context';
        break;
      }
      // A round emits up to k + 1 tokens, so k is cut to fit the token budget and the context.
      const k = Math.min(numDraft, options.maxNewTokens - tokens.length - 1, limit - sequence.length - 1);
      const before = sequence.length;
      const round = await propose(draft, draftCache, sequence, k, options, random, stats);
      const { accepted, token } = await verify(target, targetCache, sequence, round, options, random);
      stats.record(k, accepted);

      for (const next of [...round.drafts.slice(0, accepted), token]) {
        tokens.push(next);
        sequence.push(next);
        stats.emitted++;
        if (eos.has(next)) stopReason = 'eos';
        if (eos.has(next) || tokens.length === options.maxNewTokens) break;
      }
      // Caches keep every position but the last token, which the next round feeds.
      targetCache.truncate(Math.min(targetCache.length, before + accepted));
      draftCache.truncate(Math.min(draftCache.length, before + accepted));
    }
  } finally {
    targetCache.dispose();
    draftCache.dispose();
  }
  return { tokens, stopReason, stats };
}
