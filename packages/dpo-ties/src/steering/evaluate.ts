/**
 * Measurement of a policy on held-out prompts: continuations sampled from it, scored by the sentiment
 * reward (the task metric), by KL(policy || reference) and by their distinct-token ratio. A policy
 * that games the reward tends to repeat a few positive words, so its ratio falls.
 *
 * KL is the Monte-Carlo sequence estimate of @lab/eval's klEstimate on the policy's own samples: the
 * mean over samples of sum_t [log pi(y_t|.) - log pi_ref(y_t|.)]. The policy's log-probs come from the
 * sampling pass itself, the reference's from one forward pass over the sampled rows.
 */
import type { Tokenizer } from '@lab/data';
import { klEstimate } from '@lab/eval';
import type { CausalLM } from '@lab/models';
import { scoreRows } from '../method/evaluate.js';
import { distinctRatio } from './pairs.js';
import type { SentimentReward } from './reward.js';
import { rowSeed, SEED_STREAM, sampleContinuations } from './sample.js';

export interface PolicySampling {
  referenceModel: CausalLM;
  tokenizer: Tokenizer;
  reward: SentimentReward;
  /** Held-out prompt ids (BOS first). */
  prompts: readonly number[][];
  /** Continuations per prompt. */
  samples: number;
  maxTokens: number;
  temperature: number;
  seed: number;
  /** Rows per forward pass, sampling and scoring. */
  batch: number;
  backend: string;
}

export interface PolicySample {
  prompt: string;
  text: string;
  reward: number;
  distinct: number;
  /** Seed of the sampled row. */
  seed: number;
}

export interface PolicyMetrics {
  metrics: {
    /** Mean reward of the samples. */
    reward: number;
    /** Sequence KL(policy || reference) in nats. */
    kl: number;
    /** KL per token in nats. */
    klToken: number;
    /** Mean distinct-token ratio of the samples. */
    distinct: number;
    /** Mean sample length in tokens. */
    sampleTokens: number;
  };
  samples: PolicySample[];
}

const mean = (values: readonly number[]) => values.reduce((a, v) => a + v, 0) / Math.max(1, values.length);

/**
 * Samples `samples` continuations per held-out prompt from `policy` and measures them. The seeds do
 * not depend on the policy, so every checkpoint and every method is measured on the same draws.
 */
export async function policyMetrics(policy: CausalLM, setting: PolicySampling): Promise<PolicyMetrics> {
  const groups = await sampleContinuations(
    policy,
    setting.tokenizer,
    setting.prompts,
    setting.samples,
    setting.maxTokens,
    setting.seed,
    SEED_STREAM.evaluation,
    { temperature: setting.temperature, batch: setting.batch },
  );
  const rows = groups.flatMap((group, i) => group.map((r) => ({ prompt: setting.prompts[i], ...r })));
  const referenceScores = await scoreRows(
    setting.referenceModel,
    rows.map((r) => ({ prompt: r.prompt, completion: r.tokens })),
    { truncation: 'keep-end', backend: setting.backend, batchSize: setting.batch },
  );
  const kl = klEstimate(
    rows.map((r) => r.logProbs),
    referenceScores.tokens,
  );
  const samples = rows.map((r, index): PolicySample => {
    const text = setting.tokenizer.decode(r.tokens);
    return {
      prompt: setting.tokenizer.decode(r.prompt),
      text,
      reward: setting.reward.score(text),
      distinct: distinctRatio(r.tokens),
      seed: rowSeed(setting.seed, SEED_STREAM.evaluation, index),
    };
  });
  return {
    metrics: {
      reward: mean(samples.map((s) => s.reward)),
      kl: kl.sequence,
      klToken: kl.token,
      distinct: mean(samples.map((s) => s.distinct)),
      sampleTokens: mean(rows.map((r) => r.tokens.length)),
    },
    samples,
  };
}
