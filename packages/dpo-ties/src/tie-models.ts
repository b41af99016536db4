/**
 * Outcome log-probabilities of a pair (y1, y2) with reward margin d = r(y1) - r(y2) under three
 * paired-comparison models. Strengths are lambda = e^r, so only d matters.
 *
 * Bradley-Terry:  p(win) = sigma(d),  p(loss) = sigma(-d), no ties.
 *
 * Rao-Kupper, nu >= 1, alpha = ln nu:
 *   p(win)  = sigma(d - alpha)
 *   p(loss) = sigma(-d - alpha)
 *   p(tie)  = (nu^2 - 1) sigma(d - alpha) sigma(-d - alpha)
 *
 * Davidson, nu >= 0 (the 2 nu convention, where p(tie) = 2 nu sqrt(p(win) p(loss))):
 *   p(win)  = e^{d/2}  / (e^{d/2} + e^{-d/2} + 2 nu)
 *   p(loss) = e^{-d/2} / (e^{d/2} + e^{-d/2} + 2 nu)
 *   p(tie)  = 2 nu     / (e^{d/2} + e^{-d/2} + 2 nu)
 *
 * Everything is evaluated in log space with softplus and logsumexp, so no exp of d is ever formed and
 * any finite margin gives a finite result (|d| = 800 included).
 */
import { fullLike, logsumexp, mul, neg, softplus, stack, sub, type Tensor } from '@lab/tensor';
import { TieParameterError } from './errors.js';

/** ln(nu^2 - 1) for nu > 1, accurate when nu is close to 1 (expm1 keeps the small difference). */
export function raoKupperTieLogConstant(nu: number): number {
  return Math.log(Math.expm1(2 * Math.log(nu)));
}

/** Throws unless nu suits Rao-Kupper: nu >= 1, and nu > 1 when ties must have a probability. */
export function checkRaoKupperNu(fn: string, nu: number, withTies: boolean): void {
  if (!Number.isFinite(nu) || nu < 1) {
    throw new TieParameterError(
      fn,
      'nu',
      nu,
      'Rao-Kupper needs a finite nu >= 1 (alpha = ln nu >= 0); the paper uses nu = 3',
    );
  }
  if (withTies && nu === 1) {
    throw new TieParameterError(
      fn,
      'nu',
      nu,
      'nu = 1 gives ties probability 0 (loss +infinity); use nu > 1 (default 3) or pass no tie flags',
    );
  }
}

/** Throws unless nu suits Davidson: nu >= 0, and nu > 0 when ties must have a probability. */
export function checkDavidsonNu(fn: string, nu: number, withTies: boolean): void {
  if (!Number.isFinite(nu) || nu < 0) {
    throw new TieParameterError(
      fn,
      'nu',
      nu,
      'Davidson needs a finite nu >= 0 (nu = e^alpha for any real alpha); the paper uses nu = 1',
    );
  }
  if (withTies && nu === 0) {
    throw new TieParameterError(
      fn,
      'nu',
      nu,
      'nu = 0 gives ties probability 0 (loss +infinity); use nu > 0 (default 1) or pass no tie flags',
    );
  }
}

/** log sigma(d) = -softplus(-d). (B) */
export function bradleyTerryWinLogProb(d: Tensor): Tensor {
  return neg(softplus(neg(d)));
}

/** log p(win) = log sigma(d - alpha) = -softplus(alpha - d). (B) */
export function raoKupperWinLogProb(d: Tensor, nu: number): Tensor {
  const alpha = Math.log(nu);
  return neg(softplus(neg(sub(d, alpha))));
}

/** log p(tie) = ln(nu^2 - 1) - softplus(alpha - d) - softplus(alpha + d). (B) */
export function raoKupperTieLogProb(d: Tensor, nu: number): Tensor {
  const alpha = Math.log(nu);
  const towardWin = softplus(neg(sub(d, alpha))); // (B) softplus(alpha - d)
  const towardLoss = softplus(d.add(alpha)); // (B) softplus(alpha + d)
  return neg(towardWin.add(towardLoss)).add(raoKupperTieLogConstant(nu));
}

/** logsumexp over the given same-shaped terms, stacked on a new last axis. (B) */
function logSumExpOf(terms: Tensor[]): Tensor {
  return logsumexp(stack(terms, -1), -1);
}

/**
 * log p(win) = -log(1 + e^{-d} + 2 nu e^{-d/2}) = -LSE(0, -d, ln(2 nu) - d/2). At nu = 0 the last term
 * is dropped, which leaves Bradley-Terry. (B)
 */
export function davidsonWinLogProb(d: Tensor, nu: number): Tensor {
  const terms = [fullLike(d, 0), neg(d)];
  if (nu > 0) terms.push(sub(Math.log(2 * nu), mul(d, 0.5)));
  return neg(logSumExpOf(terms));
}

/** log p(tie) = ln(2 nu) - LSE(d/2, -d/2, ln(2 nu)), for nu > 0. (B) */
export function davidsonTieLogProb(d: Tensor, nu: number): Tensor {
  const logTwoNu = Math.log(2 * nu);
  const half = mul(d, 0.5); // (B)
  return neg(logSumExpOf([half, neg(half), fullLike(d, logTwoNu)])).add(logTwoNu);
}

/** log p(loss) of a pair is log p(win) of the swapped pair, whose margin is -d. (B) */
export function lossLogProb(winLogProb: (d: Tensor) => Tensor, d: Tensor): Tensor {
  return winLogProb(neg(d));
}
