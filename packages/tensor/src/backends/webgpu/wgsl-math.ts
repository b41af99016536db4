/**
 * Scalar functions in f32 WGSL for the elementwise kernels. Builtins are used where their accuracy
 * is good enough. The rest are written out so that large and non-finite inputs behave as on the cpu
 * backend (for example tanh(inf) = 1 and softplus(-1000) = 0, never NaN).
 */
export const MATH = /* wgsl */ `
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp_f(-x)); }
  let e = exp_f(x);
  return e / (1.0 + e);
}
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return select(nan_f32(), u, u > 0.0); }
  // log(u) * x / (u - 1) cancels the rounding error of 1 + x
  return log_f(u) * (x / (u - 1.0));
}
fn expm1_f(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp_f(x);
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return u; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log_f(u);
}
fn softplus_f(x: f32) -> f32 {
  if (x > 0.0) { return x + log1p_f(exp_f(-x)); }
  return log1p_f(exp_f(x));
}
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (is_nan(x)) { return x; }
  if (a > 10.0) { return sign(x); }
  if (a < 0.625) {
    // odd Taylor series, accurate near 0 where 1 - exp(-2a) would cancel
    let z = x * x;
    return x * (1.0 + z * (-1.0 / 3.0 + z * (2.0 / 15.0 + z * (-17.0 / 315.0 + z * (62.0 / 2835.0 + z * (-1382.0 / 155925.0 + z * (21844.0 / 6081075.0 + z * (-929569.0 / 638512875.0))))))));
  }
  let e = expm1_f(-2.0 * a);
  return sign(x) * (-e / (2.0 + e));
}
fn erf_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 1.0) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    var term = a;
    var total = a;
    let z = a * a;
    for (var n = 1; n < 14; n++) {
      term *= -z / f32(n);
      total += term / f32(2 * n + 1);
    }
    return sign(x) * 1.1283791670955126 * total;
  }
  if (a >= 4.0) { return sign(x); }
  // erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))), from the tail
  var fraction = a;
  for (var n = 40; n >= 1; n--) { fraction = a + f32(n) * 0.5 / fraction; }
  return sign(x) * (1.0 - exp_f(-a * a) * 0.5641895835477563 / fraction);
}
fn gelu_f(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_f(x * 0.7071067811865476)); }
fn gelu_tanh_f(x: f32) -> f32 {
  let inner = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + tanh_f(inner));
}
fn sign_f(x: f32) -> f32 {
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return x;
}
fn max_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a > b);
}
fn min_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  return select(b, a, a < b);
}
fn is_int_f(y: f32) -> bool { return is_finite(y) && floor(y) == y; }
// Math.pow semantics: exact repeated squaring for small integer exponents, exp2(y log2 x) otherwise.
fn pow_f(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  if (is_int_f(y) && abs(y) <= 64.0) {
    var n = u32(abs(y));
    var result = 1.0;
    var b = x;
    loop {
      if ((n & 1u) != 0u) { result *= b; }
      n = n >> 1u;
      if (n == 0u) { break; }
      b *= b;
    }
    return select(result, 1.0 / result, y < 0.0);
  }
  if (x < 0.0) {
    if (is_inf(y)) { return exp2(y * log2(-x)); }
    if (!is_int_f(y)) { return nan_f32(); }
    let magnitude = exp2(y * log2(-x));
    return select(magnitude, -magnitude, floor(y * 0.5) * 2.0 != y);
  }
  if (x == 0.0) { return select(0.0, pos_inf(), y < 0.0); }
  return exp2(y * log2(x));
}
// ToInt32 of the cpu backend: truncation below 2^31 in magnitude, wrap-around above, 0 for NaN and inf.
fn to_i32(v: f32) -> i32 {
  if (!is_finite(v)) { return 0; }
  if (abs(v) < 2147483648.0) { return i32(v); }
  let wrapped = v - floor(v / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(wrapped));
}
// sin and cos with Cody-Waite reduction by pi/2 in three parts (exact products for |k| < 2^16) and
// minimax polynomials on [-pi/4, pi/4]. SwiftShader's builtins were off by up to 2e-4 here.
fn sin_cos_f(x: f32, want_cos: bool) -> f32 {
  if (!is_finite(x)) { return nan_f32(); }
  if (abs(x) > 1e5) { return select(sin(x), cos(x), want_cos); }
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.549789954891882e-8;
  let s = r * r;
  let sin_r = r + r * s * (-1.6666654611e-1 + s * (8.3321608736e-3 + s * -1.9515295891e-4));
  let cos_r = 1.0 - 0.5 * s + s * s * (4.166664568298827e-2 + s * (-1.388731625493765e-3 + s * 2.443315711809948e-5));
  let quadrant = (i32(k) + select(0, 1, want_cos)) & 3;
  if (quadrant == 0) { return sin_r; }
  if (quadrant == 1) { return cos_r; }
  if (quadrant == 2) { return -sin_r; }
  return -cos_r;
}
fn sin_f(x: f32) -> f32 { return sin_cos_f(x, false); }
fn cos_f(x: f32) -> f32 { return sin_cos_f(x, true); }
fn f32_nonzero(v: f32) -> u32 { return select(0u, 1u, (bitcast<u32>(v) & 0x7fffffffu) != 0u); }
`;
