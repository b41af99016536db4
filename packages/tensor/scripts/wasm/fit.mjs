// Build-time polynomial fits for the SIMD math functions: Chebyshev interpolation in double precision,
// converted to monomial coefficients in the normalized variable u in [-1, 1], then checked with the
// coefficients rounded to f32 and Horner's rule evaluated in f32, as the kernels will run it.

/** Monomial coefficients c[0..degree] of the Chebyshev interpolant of f on [lo, hi], in u = (x - mid) / half. */
export function chebyshevFit(f, lo, hi, degree) {
  const count = degree + 1;
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  const values = [];
  for (let i = 0; i < count; i++) {
    const u = Math.cos((Math.PI * (i + 0.5)) / count);
    values.push(f(mid + half * u));
  }
  // a_j = 2/n sum_i f(u_i) T_j(u_i), with a_0 halved
  const cheb = [];
  for (let j = 0; j < count; j++) {
    let total = 0;
    for (let i = 0; i < count; i++) total += values[i] * Math.cos((Math.PI * j * (i + 0.5)) / count);
    cheb.push(((j === 0 ? 1 : 2) / count) * total);
  }
  // Monomial coefficients of T_j by the recurrence T_{j+1} = 2u T_j - T_{j-1}.
  const monomial = new Array(count).fill(0);
  let previous = [1];
  let current = [0, 1];
  for (let j = 0; j < count; j++) {
    const t = j === 0 ? previous : current;
    for (let p = 0; p < t.length; p++) monomial[p] += cheb[j] * t[p];
    if (j >= 1) {
      const next = new Array(current.length + 1).fill(0);
      for (let p = 0; p < current.length; p++) next[p + 1] += 2 * current[p];
      for (let p = 0; p < previous.length; p++) next[p] -= previous[p];
      previous = current;
      current = next;
    }
  }
  return { coefficients: monomial.map(Math.fround), mid, half };
}

/** Horner's rule in f32, as `hornerWat` emits it. */
export function hornerF32(coefficients, u) {
  let acc = coefficients[coefficients.length - 1];
  for (let i = coefficients.length - 2; i >= 0; i--) acc = Math.fround(Math.fround(acc * u) + coefficients[i]);
  return acc;
}

/** Largest relative error of a fit over `samples` points of [lo, hi], against f in double precision. */
export function maxRelativeError(fit, f, lo, hi, samples = 20000) {
  let worst = 0;
  for (let i = 0; i <= samples; i++) {
    const x = lo + ((hi - lo) * i) / samples;
    const u = Math.fround((Math.fround(x) - fit.mid) / fit.half);
    const exact = f(x);
    worst = Math.max(worst, Math.abs(hornerF32(fit.coefficients, u) - exact) / Math.abs(exact));
  }
  return worst;
}

/** WAT for Horner's rule over a v128 expression `u` held in local `$name`. */
export function hornerWat(coefficients, name) {
  const splat = (v) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;
  let acc = splat(coefficients[coefficients.length - 1]);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = `(f32x4.add (f32x4.mul ${acc} (local.get $${name})) ${splat(coefficients[i])})`;
  return acc;
}

/** erf in double precision by its Maclaurin series, for |x| <= 3. */
export function erfSeries(x) {
  let term = x;
  let total = x;
  for (let n = 1; n < 400; n++) {
    term *= (-x * x) / n;
    const next = term / (2 * n + 1);
    total += next;
    if (Math.abs(next) < 1e-18 * Math.abs(total)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

/** erfc(t) exp(t^2) for t >= 0.5 in double precision: 1 - erf below 2.5, a continued fraction above. */
export function scaledErfc(t) {
  if (t < 2.5) return (1 - erfSeries(t)) * Math.exp(t * t);
  // erfc(t) exp(t^2) = 1/sqrt(pi) * 1/(t + (1/2)/(t + 1/(t + (3/2)/(t + ...))))
  let fraction = t;
  for (let n = 400; n >= 1; n--) fraction = t + n / 2 / fraction;
  return 1 / Math.sqrt(Math.PI) / fraction;
}
