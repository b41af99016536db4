/**
 * Three-way classification of a pair (y1, y2) from its implicit reward margin d = r(y1) - r(y2): the
 * label is whichever of {y1 > y2, y2 > y1, tie} has the highest probability under the Rao-Kupper or
 * Davidson model. Every trained model can be scored under either rule, plain DPO included.
 *
 * The argmax reduces to a band around d = 0 (derived from p(tie) = p(win) at d > 0):
 *   Rao-Kupper: tie  <=>  |d| < ln(nu^2 - 2) - ln(nu)    (ln(7/3) = 0.847298 at nu = 3; no band for nu <= 2)
 *   Davidson:   tie  <=>  |d| < 2 ln(2 nu)               (2 ln 2 = 1.386294 at nu = 1; no band for nu <= 1/2)
 */
import { argmax, noGrad, scope, stack, type Tensor } from '@lab/tensor';
import { TieParameterError } from './errors.js';
import { DEFAULT_DAVIDSON_NU, DEFAULT_RAO_KUPPER_NU } from './losses.js';
import {
  checkDavidsonNu,
  checkRaoKupperNu,
  davidsonTieLogProb,
  davidsonWinLogProb,
  lossLogProb,
  raoKupperTieLogProb,
  raoKupperWinLogProb,
} from './tie-models.js';

export type TieRule = 'rao-kupper' | 'davidson';

/** Same labels as @lab/eval's PairLabel: 'win' means y1 > y2. */
export type PairOutcome = 'win' | 'loss' | 'tie';

export const OUTCOMES: readonly PairOutcome[] = ['win', 'loss', 'tie'];

export interface TieRuleOptions {
  /** nu of the rule's model: default 3 for Rao-Kupper, 1 for Davidson. */
  nu?: number;
}

function ruleNu(fn: string, rule: TieRule, options: TieRuleOptions): number {
  if (rule === 'rao-kupper') {
    const nu = options.nu ?? DEFAULT_RAO_KUPPER_NU;
    checkRaoKupperNu(fn, nu, true);
    return nu;
  }
  if (rule !== 'davidson')
    throw new TieParameterError(fn, 'rule', rule, "unknown rule; use 'rao-kupper' or 'davidson'");
  const nu = options.nu ?? DEFAULT_DAVIDSON_NU;
  checkDavidsonNu(fn, nu, true);
  return nu;
}

/** log p(win), log p(loss), log p(tie) of every pair, in that column order. margin: (B) -> (B, 3) */
export function outcomeLogProbs(margin: Tensor, rule: TieRule, options: TieRuleOptions = {}): Tensor {
  const nu = ruleNu('outcomeLogProbs', rule, options);
  const win =
    rule === 'rao-kupper'
      ? (d: Tensor) => raoKupperWinLogProb(d, nu)
      : (d: Tensor) => davidsonWinLogProb(d, nu);
  const tie = rule === 'rao-kupper' ? raoKupperTieLogProb(margin, nu) : davidsonTieLogProb(margin, nu);
  return stack([win(margin), lossLogProb(win, margin), tie], -1);
}

/** Labels every pair with its highest-probability outcome; equal probabilities go to the earlier of win, loss, tie. */
export async function classifyMargins(
  margin: Tensor,
  rule: TieRule,
  options: TieRuleOptions = {},
): Promise<PairOutcome[]> {
  const best = noGrad(() => scope(() => argmax(outcomeLogProbs(margin, rule, options), -1))); // (B)
  try {
    return Array.from(await best.data(), (i) => OUTCOMES[i]);
  } finally {
    best.dispose();
  }
}

/**
 * Half-width of the band of margins labelled tie by the argmax rule: pairs with |d| below it are
 * ties. 0 when the rule never prefers a tie. Pass it as `tieThreshold` to @lab/eval's
 * threeWayClassification for the same labels.
 */
export function tieBand(rule: TieRule, options: TieRuleOptions = {}): number {
  const nu = ruleNu('tieBand', rule, options);
  // Rao-Kupper: p(tie)/p(win) = (nu^2 - 1) sigma(-d - alpha) = 1  <=>  e^{d + alpha} = nu^2 - 2.
  if (rule === 'rao-kupper') return nu * nu > 2 ? Math.max(0, Math.log(nu * nu - 2) - Math.log(nu)) : 0;
  // Davidson: p(tie)/p(win) = 2 nu e^{-d/2} = 1  <=>  d = 2 ln(2 nu).
  return Math.max(0, 2 * Math.log(2 * nu));
}
