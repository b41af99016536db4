/**
 * DPO, DPO-RK (Rao-Kupper) and DPO-D (Davidson) losses on sequence log-probs, plus IPO. With a tie flag
 * t per pair (1 = tie, 0 = y_w preferred), the tie-aware objective is one expectation over the mixed
 * batch:
 *
 *   L = -E[(1 - t) log p(y_w > y_l) + t log p(y_w ~ y_l)]
 *
 * with p from the Rao-Kupper or Davidson model at the reward margin d (see tie-models.ts). Per pair:
 *
 *   DPO     clear:  softplus(-d)
 *   DPO-RK  clear:  softplus(alpha - d)                       alpha = ln nu_RK
 *           tie:    softplus(alpha - d) + softplus(alpha + d) - ln(nu_RK^2 - 1)
 *   DPO-D   clear:  LSE(0, -d, ln(2 nu_D) - d/2)
 *           tie:    LSE(d/2, -d/2, ln(2 nu_D)) - ln(2 nu_D)
 *   IPO:            (h - 1/(2 beta))^2 on length-averaged log-probs
 *
 * Plain DPO ignores tie flags, so a tie is fed as an ordinary win: the DPO(CP+TP) baseline of Chen et al.,
 * "On Extending Direct Preference Optimization to Accommodate Ties" (arXiv 2409.17431).
 */
import { mean, neg, square, sub, sum, type Tensor, where } from '@lab/tensor';
import { PreferenceInputError, TieParameterError } from './errors.js';
import {
  type CompletionLengths,
  checkBeta,
  checkPreferenceInputs,
  logRatioMargin,
  type MarginOptions,
  type PreferenceLogProbs,
  rewardMargin,
} from './margin.js';
import {
  bradleyTerryWinLogProb,
  checkDavidsonNu,
  checkRaoKupperNu,
  davidsonTieLogProb,
  davidsonWinLogProb,
  raoKupperTieLogProb,
  raoKupperWinLogProb,
} from './tie-models.js';

/** 'mean' (default): the joint mean over all pairs, clear and tied; 'sum'; 'none': one value per pair. */
export type Reduction = 'mean' | 'sum' | 'none';

export const DEFAULT_RAO_KUPPER_NU = 3;
export const DEFAULT_DAVIDSON_NU = 1;

export interface TieOptions {
  /** Tie flag per pair, bool or 0/1 (nonzero = tie). Omitted, every pair is a clear preference. (B) */
  tie?: Tensor;
}

export interface RaoKupperOptions extends TieOptions {
  /** nu_RK >= 1 (alpha_RK = ln nu_RK); > 1 when tie flags are given. Default 3. */
  nu?: number;
}

export interface DavidsonOptions extends TieOptions {
  /** nu_D >= 0; > 0 when tie flags are given. Default 1. */
  nu?: number;
  /** alpha_D = ln nu_D, any real number (Chen et al. sweep it from -2.5 to 2.5). Give nu or alpha, not both. */
  alpha?: number;
}

export interface ReductionOptions {
  reduction?: Reduction;
}

function reduce(losses: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (reduction === 'none') return losses;
  return reduction === 'sum' ? sum(losses) : mean(losses);
}

function checkTie(fn: string, d: Tensor, tie: Tensor | undefined): void {
  if (tie && (tie.rank !== 1 || tie.shape[0] !== d.shape[0])) {
    throw new PreferenceInputError(
      fn,
      'tie',
      tie.shape,
      `tie flags must be a (B) vector with B = ${d.shape[0]}, one flag per pair`,
    );
  }
}

/** Per-pair loss: the clear-pair loss, or the tie loss where the flag is set. (B) */
function byFlag(tie: Tensor | undefined, clear: () => Tensor, tied: () => Tensor): Tensor {
  return tie ? where(tie, tied(), clear()) : clear();
}

/** -log sigma(d) per pair, written as softplus(-d). margin: (B) -> (B) */
export function bradleyTerryLoss(margin: Tensor): Tensor {
  return neg(bradleyTerryWinLogProb(margin));
}

/** Rao-Kupper negative log-likelihood per pair. margin: (B) -> (B) */
export function raoKupperLoss(margin: Tensor, options: RaoKupperOptions = {}): Tensor {
  const nu = options.nu ?? DEFAULT_RAO_KUPPER_NU;
  checkRaoKupperNu('raoKupperLoss', nu, options.tie !== undefined);
  checkTie('raoKupperLoss', margin, options.tie);
  return byFlag(
    options.tie,
    () => neg(raoKupperWinLogProb(margin, nu)),
    () => neg(raoKupperTieLogProb(margin, nu)),
  );
}

/** nu_D from either nu or alpha = ln nu. */
export function davidsonNu(fn: string, options: DavidsonOptions): number {
  if (options.nu !== undefined && options.alpha !== undefined) {
    throw new TieParameterError(
      fn,
      'alpha',
      options.alpha,
      `both nu (${options.nu}) and alpha were given; give one (nu = e^alpha)`,
    );
  }
  if (options.alpha !== undefined) {
    if (!Number.isFinite(options.alpha))
      throw new TieParameterError(fn, 'alpha', options.alpha, 'alpha must be a finite number');
    return Math.exp(options.alpha);
  }
  return options.nu ?? DEFAULT_DAVIDSON_NU;
}

/** Davidson negative log-likelihood per pair. margin: (B) -> (B) */
export function davidsonLoss(margin: Tensor, options: DavidsonOptions = {}): Tensor {
  const nu = davidsonNu('davidsonLoss', options);
  checkDavidsonNu('davidsonLoss', nu, options.tie !== undefined);
  checkTie('davidsonLoss', margin, options.tie);
  return byFlag(
    options.tie,
    () => neg(davidsonWinLogProb(margin, nu)),
    () => neg(davidsonTieLogProb(margin, nu)),
  );
}

export interface DpoLossOptions extends MarginOptions, ReductionOptions {}

/** DPO (Bradley-Terry): mean of softplus(-d). Any tie flags are ignored by design. */
export function dpoLoss(logProbs: PreferenceLogProbs, options: DpoLossOptions): Tensor {
  return reduce(bradleyTerryLoss(rewardMargin(logProbs, options)), options.reduction);
}

export interface DpoRaoKupperLossOptions extends MarginOptions, RaoKupperOptions, ReductionOptions {}

/** DPO-RK: the Rao-Kupper likelihood of clear and tied pairs at the DPO reward margin. */
export function dpoRaoKupperLoss(logProbs: PreferenceLogProbs, options: DpoRaoKupperLossOptions): Tensor {
  return reduce(raoKupperLoss(rewardMargin(logProbs, options), options), options.reduction);
}

export interface DpoDavidsonLossOptions extends MarginOptions, DavidsonOptions, ReductionOptions {}

/** DPO-D: the Davidson likelihood of clear and tied pairs at the DPO reward margin. */
export function dpoDavidsonLoss(logProbs: PreferenceLogProbs, options: DpoDavidsonLossOptions): Tensor {
  return reduce(davidsonLoss(rewardMargin(logProbs, options), options), options.reduction);
}

export interface IpoLossOptions extends ReductionOptions {
  /** Regularisation strength; the target margin is 1/(2 beta). */
  beta: number;
  /**
   * Completion lengths. Required: IPO's squared target only makes sense on per-token averaged
   * log-probs, because summed log-probs make the target depend on response length.
   */
  lengths: CompletionLengths;
}

/** IPO: (h - 1/(2 beta))^2 with h the margin of length-averaged log-ratios. */
export function ipoLoss(logProbs: PreferenceLogProbs, options: IpoLossOptions): Tensor {
  checkBeta('ipoLoss', options.beta);
  checkPreferenceInputs('ipoLoss', logProbs, options.lengths);
  const h = logRatioMargin(logProbs, options.lengths); // (B)
  return reduce(square(sub(h, 1 / (2 * options.beta))), options.reduction);
}

export type PreferenceLossKind = 'dpo' | 'dpo-rk' | 'dpo-d';

export interface KindOptions extends TieOptions {
  /** nu_RK for 'dpo-rk' (default 3). */
  nuRaoKupper?: number;
  /** nu_D for 'dpo-d' (default 1). */
  nuDavidson?: number;
  /** alpha_D = ln nu_D for 'dpo-d', instead of nuDavidson. */
  alphaDavidson?: number;
}

/** Per-pair loss of one kind at given margins; plain DPO ignores tie flags. margin: (B) -> (B) */
export function marginLoss(kind: PreferenceLossKind, margin: Tensor, options: KindOptions = {}): Tensor {
  if (kind === 'dpo') return bradleyTerryLoss(margin);
  if (kind === 'dpo-rk') return raoKupperLoss(margin, { tie: options.tie, nu: options.nuRaoKupper });
  if (kind === 'dpo-d')
    return davidsonLoss(margin, { tie: options.tie, nu: options.nuDavidson, alpha: options.alphaDavidson });
  throw new TieParameterError('marginLoss', 'kind', kind, "unknown loss; use 'dpo', 'dpo-rk' or 'dpo-d'");
}

export interface PreferenceLossOptions extends MarginOptions, KindOptions, ReductionOptions {}

/** One entry point for the three losses on sequence log-probs. */
export function preferenceLoss(
  kind: PreferenceLossKind,
  logProbs: PreferenceLogProbs,
  options: PreferenceLossOptions,
): Tensor {
  return reduce(marginLoss(kind, rewardMargin(logProbs, options), options), options.reduction);
}
