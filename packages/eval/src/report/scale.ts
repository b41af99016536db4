// Axis scales: a domain that contains every value, rounded out to readable tick values.

export interface Scale {
  kind: 'linear' | 'log';
  /** [low, high]; every value the scale was built from lies inside. */
  domain: [number, number];
  ticks: number[];
  /** Position of a value along the axis, 0 at domain[0] and 1 at domain[1]. */
  fraction(value: number): number;
}

/**
 * Builds a scale over `values` (finite, and > 0 for a log scale; the caller filters). An empty list
 * gives the domain [0, 1] (linear) or [1, 10] (log).
 */
export function makeScale(values: readonly number[], kind: 'linear' | 'log'): Scale {
  return kind === 'log' ? logScale(values) : linearScale(values);
}

function linearScale(values: readonly number[]): Scale {
  let [min, max] = extent(values);
  if (values.length === 0) [min, max] = [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.5;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep((max - min) / 5);
  let lo = Math.floor(min / step) * step;
  let hi = Math.ceil(max / step) * step;
  // Guard against rounding in the divisions above leaving a value just outside.
  if (lo > min) lo -= step;
  if (hi < max) hi += step;
  const ticks: number[] = [];
  const count = Math.round((hi - lo) / step);
  for (let i = 0; i <= count; i++) ticks.push(roundToStep(lo + i * step, step));
  return { kind: 'linear', domain: [lo, hi], ticks, fraction: (v) => (v - lo) / (hi - lo) };
}

function logScale(values: readonly number[]): Scale {
  let [min, max] = extent(values);
  if (values.length === 0) [min, max] = [1, 10];
  let lo = 10 ** Math.floor(Math.log10(min));
  let hi = 10 ** Math.ceil(Math.log10(max));
  while (lo > min) lo /= 10;
  while (hi < max) hi *= 10;
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const every = Math.max(1, Math.ceil(decades / 8));
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d += every) ticks.push(lo * 10 ** d);
  const logLo = Math.log10(lo);
  const span = Math.log10(hi) - logLo;
  return { kind: 'log', domain: [lo, hi], ticks, fraction: (v) => (Math.log10(v) - logLo) / span };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

// 0.1 * 3 = 0.30000000000000004: round tick values to the step's decimal places.
function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 20)));
}

// Math.min(...values) overflows the call stack on long series; loop instead.
function extent(values: readonly number[]): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
