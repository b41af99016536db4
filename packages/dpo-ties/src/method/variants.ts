/**
 * Training variants: which loss, and whether tied pairs are trained on. A plain run has one variant,
 * the configured `loss` and `useTies`, trained as stage "main". A comparison run (`compare`) trains
 * each listed variant as its own stage on the same data, steps and seed.
 */
import type { LossSettings } from './batch.js';
import type { DpoTiesConfig, LossKind, Variant } from './config.js';

export interface VariantPlan {
  /** Trainer stage: its checkpoints folder and the `stage` of its metric lines. */
  stage: string;
  /** Name in reports, in the notation of Chen et al., e.g. DPO-RK(CP+TP). */
  label: string;
  loss: LossKind;
  useTies: boolean;
}

const LOSS_LABELS: Record<LossKind, string> = { dpo: 'DPO', 'dpo-rk': 'DPO-RK', 'dpo-d': 'DPO-D' };

export function variantLabel(loss: LossKind, useTies: boolean): string {
  return `${LOSS_LABELS[loss]}(${useTies ? 'CP+TP' : 'CP'})`;
}

export function parseVariant(variant: Variant): { loss: LossKind; useTies: boolean } {
  const [loss, pairs] = variant.split(':') as [LossKind, string];
  return { loss, useTies: pairs === 'cp+tp' };
}

/** Lists the stages a run trains, in order. */
export function variantPlans(cfg: DpoTiesConfig): VariantPlan[] {
  if (cfg.compare.length === 0) {
    return [
      { stage: 'main', label: variantLabel(cfg.loss, cfg.useTies), loss: cfg.loss, useTies: cfg.useTies },
    ];
  }
  return [...new Set(cfg.compare)].map((variant) => {
    const { loss, useTies } = parseVariant(variant);
    return { stage: `${loss}-${useTies ? 'cptp' : 'cp'}`, label: variantLabel(loss, useTies), loss, useTies };
  });
}

/** Returns the loss settings of a variant: the configuration's beta and nu with the variant's loss and tie use. */
export function variantSettings(cfg: DpoTiesConfig, plan: VariantPlan): LossSettings {
  return {
    kind: plan.loss,
    beta: cfg.beta,
    lengthNormalize: cfg.lengthNormalize,
    useTies: plan.useTies,
    nuRaoKupper: cfg.nuRaoKupper,
    ...(cfg.alphaDavidson === null ? { nuDavidson: cfg.nuDavidson } : { alphaDavidson: cfg.alphaDavidson }),
  };
}
