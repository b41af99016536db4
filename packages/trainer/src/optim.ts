/** Builds an optimizer and its learning-rate schedule from plain settings. */
import { AdamW, type Optimizer, optim, SGD, type Tensor } from '@lab/tensor';

export interface OptimizerConfig {
  kind?: 'adamw' | 'sgd';
  /** Peak learning rate. */
  lr: number;
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
  /** SGD only. */
  momentum?: number;
  /** 'constant' still warms up linearly over `warmupSteps` when that is above 0. */
  schedule?: 'constant' | 'cosine' | 'linear';
  /** Updates of linear warm-up. */
  warmupSteps?: number;
  /** Floor of the cosine or linear decay. */
  minLr?: number;
  /** Joint L2 norm the gradients are clipped to; null or 0 turns clipping off. */
  clipNorm?: number | null;
}

export function buildSchedule(config: OptimizerConfig, totalSteps: number): optim.Schedule {
  const warmupSteps = Math.min(config.warmupSteps ?? 0, totalSteps);
  const options = { peakLr: config.lr, warmupSteps, totalSteps, minLr: config.minLr ?? 0 };
  switch (config.schedule ?? 'constant') {
    case 'cosine':
      return optim.warmupCosineSchedule(options);
    case 'linear':
      return optim.warmupLinearSchedule(options);
    default:
      if (warmupSteps === 0) return optim.constantSchedule(config.lr);
      return (step) => (step < warmupSteps ? (config.lr * (step + 1)) / warmupSteps : config.lr);
  }
}

export function buildOptimizer(params: readonly Tensor[], config: OptimizerConfig, totalSteps: number): Optimizer {
  const schedule = buildSchedule(config, totalSteps);
  if ((config.kind ?? 'adamw') === 'sgd') {
    return new SGD(params, { lr: config.lr, momentum: config.momentum ?? 0, weightDecay: config.weightDecay ?? 0, schedule });
  }
  return new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay ?? 0, betas: config.betas as [number, number] | undefined, eps: config.eps, schedule });
}
