/**
 * The `dpo-ties` Method: DPO, DPO-RK or DPO-D fine-tuning of a policy that starts as a copy of the
 * reference, on preference pairs with tie flags. The reference is a second, frozen copy of the
 * starting model; its log-probs are computed once before training and served from the trainer's cache.
 * The recipe is in recipe.ts; the demo settings in demo.ts.
 */
import { defineMethod } from '@lab/trainer';
import type { LossSettings } from './batch.js';
import { type DpoTiesConfig, dpoTiesConfig } from './config.js';
import { STEERING_DEMO } from './demo.js';
import { evaluate, run } from './recipe.js';

export function lossSettings(cfg: DpoTiesConfig): LossSettings {
  return {
    kind: cfg.loss,
    beta: cfg.beta,
    lengthNormalize: cfg.lengthNormalize,
    useTies: cfg.useTies,
    nuRaoKupper: cfg.nuRaoKupper,
    ...(cfg.alphaDavidson === null ? { nuDavidson: cfg.nuDavidson } : { alphaDavidson: cfg.alphaDavidson }),
  };
}

export const method = defineMethod<DpoTiesConfig>({
  name: 'dpo-ties',
  summary:
    'DPO on clear and tied preference pairs with Rao-Kupper (DPO-RK) or Davidson (DPO-D) likelihoods of the implicit reward margin',
  paper: {
    title: 'On Extending Direct Preference Optimization to Accommodate Ties',
    authors: 'Jinghong Chen et al.',
    year: 2025,
    url: 'https://arxiv.org/abs/2409.17431',
  },
  config: dpoTiesConfig,
  data: [
    {
      name: 'train',
      kinds: ['preference', 'rated-comparison', 'labelled'],
      description:
        'pairs {prompt, chosen, rejected, tie}; scored sources give a clear best-vs-worst pair and a closest-pair tie per comparison. The steering format reads no pair file: it samples and scores its own',
    },
    {
      name: 'reward',
      kinds: ['labelled'],
      description:
        'steering: labelled sentences (UCI sentiment) the reward model is trained on (reward.data)',
      required: false,
    },
    {
      name: 'holdout',
      kinds: ['preference', 'rated-comparison', 'labelled'],
      description: 'held-out pairs for accuracy, three-way classification and KL; default: a share of train',
      required: false,
    },
  ],
  models: [
    {
      name: 'policy',
      kind: 'policy',
      trainable: true,
      madeBy: 'loaded from model.path (it starts equal to the reference)',
    },
    {
      name: 'reference',
      kind: 'reference',
      trainable: false,
      madeBy: 'a second, frozen load of model.path; its log-probs are computed once and cached',
    },
    {
      name: 'reward',
      kind: 'target',
      trainable: false,
      madeBy: 'steering: logistic regression over word counts, trained on reward.data before the policy',
    },
  ],
  run,
  evaluate,
  demos: [STEERING_DEMO],
});
