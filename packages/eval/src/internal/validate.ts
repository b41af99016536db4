// Argument checks shared by the metrics. Each throws MetricInputError naming the metric and argument.
import { MetricInputError } from '../errors.js';

/** Numbers accepted by every metric: `number[]`, `Float32Array`, `Float64Array`, ... */
export type Numbers = ArrayLike<number>;

export function requireNonEmpty(metric: string, argument: string, values: ArrayLike<unknown>): void {
  if (values.length === 0) {
    throw new MetricInputError(metric, `${argument}.length`, 0, 'pass at least one value');
  }
}

export function requireSameLength(
  metric: string,
  a: [name: string, values: ArrayLike<unknown>],
  b: [name: string, values: ArrayLike<unknown>],
): void {
  if (a[1].length !== b[1].length) {
    throw new MetricInputError(
      metric,
      `${b[0]}.length`,
      b[1].length,
      `it must equal ${a[0]}.length = ${a[1].length}; pass one entry per example in both`,
    );
  }
}

/** Rejects NaN and +-Infinity, naming the first bad index. */
export function requireFinite(metric: string, argument: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new MetricInputError(
        metric,
        `${argument}[${i}]`,
        values[i],
        'every value must be a finite number',
      );
    }
  }
}

/** Rejects NaN only (infinite scores still rank). */
export function requireNotNaN(metric: string, argument: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) {
      throw new MetricInputError(metric, `${argument}[${i}]`, values[i], 'scores must not be NaN');
    }
  }
}

export function requireInRange(
  metric: string,
  argument: string,
  value: number,
  min: number,
  max: number,
  inclusive: 'both' | 'neither' = 'both',
): void {
  const ok = inclusive === 'both' ? value >= min && value <= max : value > min && value < max;
  if (!ok) {
    const interval = inclusive === 'both' ? `[${min}, ${max}]` : `(${min}, ${max})`;
    throw new MetricInputError(metric, argument, value, `it must lie in ${interval}`);
  }
}

export function requirePositiveInteger(metric: string, argument: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new MetricInputError(metric, argument, value, 'it must be a positive integer');
  }
}

export function mean(values: Numbers): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Sample standard deviation (divides by n - 1); 0 for a single value. */
export function sampleStd(values: Numbers): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}
