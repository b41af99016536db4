/**
 * The attacks on one target model, given every model's statistic on every candidate:
 *   stats[m][x]  statistic of model m on example x (higher = more member-like)
 *   keep[m][x]   whether model m trained on x
 * The target's own statistics and labels come from row `target`; the reference models are `references`.
 */
import { LiraInputError } from './errors.js';
import { mean, median, offlineLogCdf, onlineLogRatio, populationStd } from './scores.js';

export type Location = 'mean' | 'median';
export type VarianceMode = 'global' | 'per-example';

export interface AttackOptions {
  /** Location of each per-example Gaussian: the mean of Carlini et al. (2022) or the median of their reference code (default 'mean'). */
  location?: Location;
  /** Per-example σ, or one σ_in and one σ_out pooled over every example and reference (default 'global'). */
  variance?: VarianceMode;
}

export interface ExampleGaussians {
  muIn: number[];
  stdIn: number[];
  muOut: number[];
  stdOut: number[];
}

export interface AttackScores {
  /** Membership of each example in the target's training set. */
  labels: boolean[];
  online: number[];
  offline: number[];
  loss: number[];
}

function checkShapes(
  stats: readonly (readonly number[])[],
  keep: readonly (readonly boolean[])[],
  target: number,
  references: readonly number[],
): void {
  if (stats.length !== keep.length)
    throw new LiraInputError(
      'liraAttack',
      'keep.length',
      keep.length,
      `must equal stats.length (${stats.length}): one row per model`,
    );
  for (const m of [target, ...references]) {
    if (!(m >= 0 && m < stats.length))
      throw new LiraInputError('liraAttack', 'model index', m, `is outside 0..${stats.length - 1}`);
  }
  if (references.includes(target))
    throw new LiraInputError(
      'liraAttack',
      'references',
      references,
      `contains the target ${target}; the target must not be its own reference`,
    );
  if (references.length === 0)
    throw new LiraInputError(
      'liraAttack',
      'references',
      references,
      'is empty; give at least one reference model',
    );
}

/**
 * Fits the IN and OUT Gaussians of every example from the reference models.
 * NOTE: with few references some examples have no IN (or no OUT) statistic. Their missing location
 * is the other side's location shifted by the global gap (mean of all IN minus mean of all OUT
 * statistics). This choice is ours: the LiRA reference code assumes enough models for both sides.
 */
export function fitGaussians(
  stats: readonly (readonly number[])[],
  keep: readonly (readonly boolean[])[],
  references: readonly number[],
  options: AttackOptions = {},
): ExampleGaussians {
  const locate = (options.location ?? 'mean') === 'mean' ? mean : median;
  const examples = stats[references[0]].length;
  const inSets: number[][] = [];
  const outSets: number[][] = [];
  for (let x = 0; x < examples; x++) {
    const ins: number[] = [];
    const outs: number[] = [];
    for (const m of references) (keep[m][x] ? ins : outs).push(stats[m][x]);
    inSets.push(ins);
    outSets.push(outs);
  }
  const allIn = inSets.flat();
  const allOut = outSets.flat();
  const gap = allIn.length > 0 && allOut.length > 0 ? mean(allIn) - mean(allOut) : 0;
  const globalIn = allIn.length > 0 ? populationStd(allIn) : populationStd(allOut);
  const globalOut = allOut.length > 0 ? populationStd(allOut) : globalIn;

  const g: ExampleGaussians = { muIn: [], stdIn: [], muOut: [], stdOut: [] };
  for (let x = 0; x < examples; x++) {
    const ins = inSets[x];
    const outs = outSets[x];
    const muIn = ins.length > 0 ? locate(ins) : locate(outs) + gap;
    const muOut = outs.length > 0 ? locate(outs) : locate(ins) - gap;
    const perExample = options.variance === 'per-example';
    g.muIn.push(muIn);
    g.muOut.push(muOut);
    g.stdIn.push(perExample && ins.length > 0 ? populationStd(ins) : globalIn);
    g.stdOut.push(perExample && outs.length > 0 ? populationStd(outs) : globalOut);
  }
  return g;
}

/** Online, offline and loss-threshold scores of every example for one target model. */
export function liraAttack(
  stats: readonly (readonly number[])[],
  keep: readonly (readonly boolean[])[],
  target: number,
  references: readonly number[],
  options: AttackOptions = {},
): AttackScores {
  checkShapes(stats, keep, target, references);
  const g = fitGaussians(stats, keep, references, options);
  const observed = stats[target];
  return {
    labels: [...keep[target]],
    online: observed.map((o, x) => onlineLogRatio(o, g.muIn[x], g.stdIn[x], g.muOut[x], g.stdOut[x])),
    offline: observed.map((o, x) => offlineLogCdf(o, g.muOut[x], g.stdOut[x])),
    loss: [...observed],
  };
}

/** Picks the variance mode Carlini et al. (2022) recommend: global below 64 reference models, per-example from 64 on. */
export function defaultVariance(references: number): VarianceMode {
  return references < 64 ? 'global' : 'per-example';
}
