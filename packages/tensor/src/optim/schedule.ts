import { ArgumentError } from '../errors.js';

/**
 * A learning rate as a pure function of the 0-based index of the update about to be made: the first
 * `optimizer.step()` uses `schedule(0)`.
 */
export type Schedule = (step: number) => number;

export interface WarmupDecayOptions {
  /** Learning rate at the end of warm-up. */
  peakLr: number;
  /** Updates spent rising linearly to `peakLr`; update i < warmupSteps uses peakLr * (i + 1) / warmupSteps. */
  warmupSteps: number;
  /** Update index at which the decay reaches `minLr`; later updates stay there. */
  totalSteps: number;
  /** Floor of the decay (default 0). */
  minLr?: number;
}

function checkOptions(op: string, options: WarmupDecayOptions): Required<WarmupDecayOptions> {
  const { peakLr, warmupSteps, totalSteps, minLr = 0 } = options;
  if (!(peakLr >= 0 && Number.isFinite(peakLr))) throw new ArgumentError(op, `peakLr = ${peakLr} must be a finite non-negative number`);
  if (!(minLr >= 0 && minLr <= peakLr)) throw new ArgumentError(op, `minLr = ${minLr} must be in [0, peakLr = ${peakLr}]`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new ArgumentError(op, `warmupSteps = ${warmupSteps} must be a non-negative integer`);
  if (!Number.isInteger(totalSteps) || totalSteps < warmupSteps) {
    throw new ArgumentError(op, `totalSteps = ${totalSteps} must be an integer of at least warmupSteps = ${warmupSteps}`);
  }
  return { peakLr, warmupSteps, totalSteps, minLr };
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new ArgumentError('schedule', `step = ${step} must be a non-negative integer`);
}

/** Fraction of the decay phase done at `step`, in [0, 1], or null during warm-up. */
function decayProgress(step: number, warmupSteps: number, totalSteps: number): number | null {
  if (step < warmupSteps) return null;
  if (step >= totalSteps) return 1;
  return (step - warmupSteps) / (totalSteps - warmupSteps);
}

export function constantSchedule(lr: number): Schedule {
  if (!(lr >= 0 && Number.isFinite(lr))) throw new ArgumentError('constantSchedule', `lr = ${lr} must be a finite non-negative number`);
  return (step) => {
    checkStep(step);
    return lr;
  };
}

/**
 * Linear warm-up to `peakLr`, then half a cosine period down to `minLr`:
 * lr(s) = minLr + (peakLr - minLr) * (1 + cos(pi * p)) / 2, with p = (s - warmupSteps) / (totalSteps - warmupSteps).
 */
export function warmupCosineSchedule(options: WarmupDecayOptions): Schedule {
  const { peakLr, warmupSteps, totalSteps, minLr } = checkOptions('warmupCosineSchedule', options);
  return (step) => {
    checkStep(step);
    const progress = decayProgress(step, warmupSteps, totalSteps);
    if (progress === null) return (peakLr * (step + 1)) / warmupSteps;
    return minLr + ((peakLr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/** Linear warm-up to `peakLr`, then a straight line down to `minLr` at `totalSteps`. */
export function warmupLinearSchedule(options: WarmupDecayOptions): Schedule {
  const { peakLr, warmupSteps, totalSteps, minLr } = checkOptions('warmupLinearSchedule', options);
  return (step) => {
    checkStep(step);
    const progress = decayProgress(step, warmupSteps, totalSteps);
    if (progress === null) return (peakLr * (step + 1)) / warmupSteps;
    return peakLr + (minLr - peakLr) * progress;
  };
}
