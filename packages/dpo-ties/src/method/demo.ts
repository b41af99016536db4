/**
 * The `dpo-ties` demo (`lab demo dpo-ties`): sentiment steering of stories260K, the controlled
 * generation setup of the DPO paper moved to a 260K-parameter story model. DPO(CP), DPO(CP+TP),
 * DPO-RK(CP+TP) and DPO-D(CP+TP) train on the same sampled pairs, steps and seed, and one report
 * compares their reward, KL and held-out classification. examples/dpo-sentiment.json contains the same
 * settings for one method.
 */
import type { Demo } from '@lab/trainer';

/** The full demo's settings, beyond the configuration defaults they restate. */
export const STEERING_DEMO_CONFIG = {
  compare: ['dpo:cp', 'dpo:cp+tp', 'dpo-rk:cp+tp', 'dpo-d:cp+tp'],
  beta: 0.1,
  model: { path: 'data/stories260K/stories260K.bin', tokenizer: 'data/stories260K/tok512.bin' },
  data: { format: 'steering', maxLength: 64 },
  steering: {
    prompts: 200,
    heldOutPrompts: 32,
    promptTokens: 15,
    samples: 8,
    completionTokens: 48,
    evalSamples: 2,
  },
  train: { steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, logEvery: 10, evalEvery: 25 },
} as const;

/** `--quick`: the same pipeline with fewer prompts, shorter samples and fewer steps. */
export const STEERING_QUICK_CONFIG = {
  ...STEERING_DEMO_CONFIG,
  data: { format: 'steering', maxLength: 48 },
  steering: {
    prompts: 40,
    heldOutPrompts: 12,
    promptTokens: 15,
    samples: 8,
    completionTokens: 32,
    evalSamples: 2,
  },
  train: { steps: 16, batchSize: 8, lr: 1e-4, warmupSteps: 4, logEvery: 4, evalEvery: 8 },
} as const;

export const STEERING_DEMO: Demo = {
  name: 'dpo-ties',
  method: 'dpo-ties',
  summary:
    'stories260K steered towards positive sentiment: DPO(CP), DPO(CP+TP), DPO-RK(CP+TP) and DPO-D(CP+TP) on the same sampled pairs; reward, KL and classification compared',
  config: structuredClone(STEERING_DEMO_CONFIG) as unknown as Record<string, unknown>,
  quickConfig: structuredClone(STEERING_QUICK_CONFIG) as unknown as Record<string, unknown>,
};
