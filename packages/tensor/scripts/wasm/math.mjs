// Vector math on f32x4 for the unary kernels: each function maps one v128 to one v128 and handles
// NaN, infinities and signed zeros as the cpu backend's double-precision reference does.
import { chebyshevFit, erfSeries, hornerWat, maxRelativeError, scaledErfc } from './fit.mjs';
import { f32x4, i32x4 } from './wat.mjs';

const LOG2E = Math.LOG2E;
// ln 2 split so that n * LN2_HI is exact for |n| < 2^9
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444005469057e-4;

/** Taylor coefficients 1/k! for k = 0..degree. */
function inverseFactorials(degree) {
  const out = [1];
  for (let k = 1; k <= degree; k++) out.push(out[k - 1] / k);
  return out.map(Math.fround);
}

function fitOrThrow(name, f, lo, hi, degree, limit) {
  const fit = chebyshevFit(f, lo, hi, degree);
  const error = maxRelativeError(fit, f, lo, hi);
  if (error > limit) throw new Error(`${name}: fit of degree ${degree} on [${lo}, ${hi}] has relative error ${error}, above ${limit}`);
  return fit;
}

/** Horner's rule on u with the given coefficients (lowest first), u held in local `$name`. */
function poly(coefficients, name) {
  return hornerWat(coefficients, name);
}

// exp(x) = 2^n exp(r), r = x - n ln 2 in [-ln2/2, ln2/2], with exp(r) by its degree-7 Taylor polynomial
// (truncation below 6e-9). 2^n is applied in two halves so that results near the f32 limits neither
// overflow the exponent field early nor flush subnormals.
const exp4 = `
(func $exp4 (param $x v128) (result v128)
  (local $n v128) (local $r v128) (local $ni v128) (local $half v128)
  (local.set $x (f32x4.max (f32x4.min (local.get $x) ${f32x4(89)}) ${f32x4(-104)}))
  (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) ${f32x4(LOG2E)})))
  (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) ${f32x4(LN2_HI)}))
    (f32x4.mul (local.get $n) ${f32x4(LN2_LO)})))
  (local.set $ni (i32x4.trunc_sat_f32x4_s (local.get $n)))
  (local.set $half (i32x4.shr_s (local.get $ni) (i32.const 1)))
  (f32x4.mul
    (f32x4.mul ${poly(inverseFactorials(7), 'r')}
      (i32x4.shl (i32x4.add (local.get $half) ${i32x4(127)}) (i32.const 23)))
    (i32x4.shl (i32x4.add (i32x4.sub (local.get $ni) (local.get $half)) ${i32x4(127)}) (i32.const 23))))`;

// expm1(x): Taylor to x^9 for |x| < ln2/2 (truncation below 1e-9 relative), exp(x) - 1 elsewhere.
const expm14 = `
(func $expm14 (param $x v128) (result v128)
  (local $small v128)
  (local.set $small ${poly(inverseFactorials(9).slice(1), 'x')})
  (v128.bitselect (f32x4.mul (local.get $x) (local.get $small))
    (f32x4.sub (call $exp4 (local.get $x)) ${f32x4(1)})
    (f32x4.lt (f32x4.abs (local.get $x)) ${f32x4(0.34657359)})))`;

// log(x) = e ln 2 + log(m), m in [sqrt(1/2), sqrt(2)), and log(m) = 2 atanh(s) with s = (m - 1)/(m + 1),
// |s| <= 0.1716, by the odd series 2s (1 + s^2/3 + ... + s^10/11), truncation below 1e-10.
const log4 = `
(func $log4 (param $x v128) (result v128)
  (local $tiny v128) (local $bits v128) (local $e v128) (local $m v128) (local $big v128)
  (local $f v128) (local $s v128) (local $z v128) (local $result v128)
  (local.set $tiny (f32x4.lt (local.get $x) ${f32x4(1.1754943508222875e-38)}))
  (local.set $bits (v128.bitselect (f32x4.mul (local.get $x) ${f32x4(8388608)}) (local.get $x) (local.get $tiny)))
  (local.set $e (i32x4.sub (i32x4.shr_u (local.get $bits) (i32.const 23)) ${i32x4(127)}))
  (local.set $e (v128.bitselect (i32x4.sub (local.get $e) ${i32x4(23)}) (local.get $e) (local.get $tiny)))
  (local.set $m (v128.or (v128.and (local.get $bits) ${i32x4(0x007fffff)}) ${i32x4(0x3f800000)}))
  (local.set $big (f32x4.gt (local.get $m) ${f32x4(Math.SQRT2)}))
  (local.set $m (v128.bitselect (f32x4.mul (local.get $m) ${f32x4(0.5)}) (local.get $m) (local.get $big)))
  (local.set $e (v128.bitselect (i32x4.add (local.get $e) ${i32x4(1)}) (local.get $e) (local.get $big)))
  (local.set $f (f32x4.sub (local.get $m) ${f32x4(1)}))
  (local.set $s (f32x4.div (local.get $f) (f32x4.add (local.get $f) ${f32x4(2)})))
  (local.set $z (f32x4.mul (local.get $s) (local.get $s)))
  (local.set $e (f32x4.convert_i32x4_s (local.get $e)))
  (local.set $result (f32x4.add
    (f32x4.add (f32x4.mul (local.get $e) ${f32x4(LN2_LO)})
      (f32x4.mul (f32x4.add (local.get $s) (local.get $s)) ${poly([1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11].map(Math.fround), 'z')}))
    (f32x4.mul (local.get $e) ${f32x4(LN2_HI)})))
  (local.set $result (v128.bitselect ${f32x4(Infinity)} (local.get $result) (f32x4.eq (local.get $x) ${f32x4(Infinity)})))
  (local.set $result (v128.bitselect ${f32x4(-Infinity)} (local.get $result) (f32x4.eq (local.get $x) ${f32x4(0)})))
  (v128.bitselect ${f32x4(NaN)} (local.get $result)
    (v128.or (f32x4.lt (local.get $x) ${f32x4(0)}) (f32x4.ne (local.get $x) (local.get $x)))))`;

// log1p(y) = log(u) * y / (u - 1) with u = 1 + y rounded: the quotient corrects the rounding of u.
const log1p4 = `
(func $log1p4 (param $y v128) (result v128)
  (local $u v128) (local $d v128)
  (local.set $u (f32x4.add (local.get $y) ${f32x4(1)}))
  (local.set $d (f32x4.sub (local.get $u) ${f32x4(1)}))
  (v128.bitselect (local.get $y)
    (v128.bitselect (call $log4 (local.get $u))
      (f32x4.mul (call $log4 (local.get $u)) (f32x4.div (local.get $y) (local.get $d)))
      (f32x4.eq (local.get $u) ${f32x4(Infinity)}))
    (f32x4.eq (local.get $d) ${f32x4(0)})))`;

// erf(x) for |x| < 0.5 by its Maclaurin series x * sum_n (-1)^n 2/sqrt(pi) x^(2n) / (n! (2n + 1)).
function erfSmallCoefficients() {
  const out = [];
  let factorial = 1;
  for (let n = 0; n <= 7; n++) {
    if (n > 0) factorial *= n;
    out.push(Math.fround(((n % 2 === 0 ? 1 : -1) * (2 / Math.sqrt(Math.PI))) / (factorial * (2 * n + 1))));
  }
  return out;
}

// erfc(t) for t >= 0.5 as exp(-t^2) R(t): R fitted on [0.5, 2.5] and t R(t) fitted in w = 1/t above.
const nearFit = fitOrThrow('erfc near', scaledErfc, 0.5, 2.5, 10, 4e-7);
const farFit = fitOrThrow('erfc far', (w) => scaledErfc(1 / w) / w, 1e-9, 0.4, 10, 4e-7);

const erfSmall4 = `
(func $erf_small4 (param $x v128) (result v128)
  (local $z v128)
  (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
  (f32x4.mul (local.get $x) ${poly(erfSmallCoefficients(), 'z')}))`;

const erfcLarge4 = `
(func $erfc_large4 (param $t v128) (result v128)
  (local $u v128) (local $w v128) (local $near v128) (local $far v128)
  (local.set $t (f32x4.max (local.get $t) ${f32x4(0.5)}))
  (local.set $u (f32x4.div (f32x4.sub (f32x4.min (local.get $t) ${f32x4(2.5)}) ${f32x4(nearFit.mid)}) ${f32x4(nearFit.half)}))
  (local.set $near ${poly(nearFit.coefficients, 'u')})
  (local.set $w (f32x4.div ${f32x4(1)} (local.get $t)))
  (local.set $u (f32x4.div (f32x4.sub (local.get $w) ${f32x4(farFit.mid)}) ${f32x4(farFit.half)}))
  (local.set $far (f32x4.mul ${poly(farFit.coefficients, 'u')} (local.get $w)))
  (f32x4.mul (call $exp4 (f32x4.neg (f32x4.mul (local.get $t) (local.get $t))))
    (v128.bitselect (local.get $near) (local.get $far) (f32x4.le (local.get $t) ${f32x4(2.5)}))))`;

const erf4 = `
(func $erf4 (param $x v128) (result v128)
  (local $large v128)
  (local.set $large (f32x4.sub ${f32x4(1)} (call $erfc_large4 (f32x4.abs (local.get $x)))))
  (v128.bitselect (call $erf_small4 (local.get $x))
    (v128.or (v128.and (local.get $large) ${i32x4(0x7fffffff)}) (v128.and (local.get $x) ${i32x4(-0x80000000)}))
    (f32x4.lt (f32x4.abs (local.get $x)) ${f32x4(0.5)})))`;

// gelu(x) = x Phi(x), Phi(x) = erfc(t) / 2 with t = -x / sqrt(2): erfc directly where t >= 0.5, so the
// left tail keeps its relative precision.
const gelu4 = `
(func $gelu4 (param $x v128) (result v128)
  (local $t v128) (local $tail v128) (local $phi v128)
  (local.set $t (f32x4.mul (local.get $x) ${f32x4(-Math.SQRT1_2)}))
  (local.set $tail (f32x4.mul (call $erfc_large4 (f32x4.abs (local.get $t))) ${f32x4(0.5)}))
  (local.set $phi (v128.bitselect (local.get $tail) (f32x4.sub ${f32x4(1)} (local.get $tail)) (f32x4.gt (local.get $t) ${f32x4(0)})))
  (local.set $phi (v128.bitselect
    (f32x4.sub ${f32x4(0.5)} (f32x4.mul (call $erf_small4 (local.get $t)) ${f32x4(0.5)}))
    (local.get $phi)
    (f32x4.lt (f32x4.abs (local.get $t)) ${f32x4(0.5)})))
  (f32x4.mul (local.get $x) (local.get $phi)))`;

const sigmoid4 = `
(func $sigmoid4 (param $x v128) (result v128)
  (f32x4.div ${f32x4(1)} (f32x4.add ${f32x4(1)} (call $exp4 (f32x4.neg (local.get $x))))))`;

// tanh(x) = sign(x) e / (e + 2) with e = expm1(2 |x|). |x| is capped at 9, where tanh rounds to 1.
const tanh4 = `
(func $tanh4 (param $x v128) (result v128)
  (local $e v128)
  (local.set $e (call $expm14 (f32x4.mul (f32x4.min (f32x4.abs (local.get $x)) ${f32x4(9)}) ${f32x4(2)})))
  (v128.or (f32x4.div (local.get $e) (f32x4.add (local.get $e) ${f32x4(2)}))
    (v128.and (local.get $x) ${i32x4(-0x80000000)})))`;

// softplus(x) = max(x, 0) + log1p(exp(-|x|))
const softplus4 = `
(func $softplus4 (param $x v128) (result v128)
  (f32x4.add (f32x4.max (local.get $x) ${f32x4(0)})
    (call $log1p4 (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))))`;

// gelu with the tanh approximation: 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = c (x + 0.044715 x^3)
const geluTanh4 = `
(func $gelu_tanh4 (param $x v128) (result v128)
  (local $u v128)
  (local.set $u (f32x4.mul ${f32x4(2 * Math.sqrt(2 / Math.PI))}
    (f32x4.add (local.get $x) (f32x4.mul ${f32x4(0.044715)} (f32x4.mul (local.get $x) (f32x4.mul (local.get $x) (local.get $x)))))))
  (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $u))))`;

/** Vector expression for each native unary op, given the argument expression `x`. */
export const UNARY_EXPRESSIONS = {
  neg: (x) => `(f32x4.neg ${x})`,
  abs: (x) => `(f32x4.abs ${x})`,
  sign: (x) => `(call $sign4 ${x})`,
  exp: (x) => `(call $exp4 ${x})`,
  log: (x) => `(call $log4 ${x})`,
  log1p: (x) => `(call $log1p4 ${x})`,
  expm1: (x) => `(call $expm14 ${x})`,
  sqrt: (x) => `(f32x4.sqrt ${x})`,
  rsqrt: (x) => `(f32x4.div ${f32x4(1)} (f32x4.sqrt ${x}))`,
  tanh: (x) => `(call $tanh4 ${x})`,
  sigmoid: (x) => `(call $sigmoid4 ${x})`,
  logSigmoid: (x) => `(f32x4.neg (call $softplus4 (f32x4.neg ${x})))`,
  softplus: (x) => `(call $softplus4 ${x})`,
  relu: (x) => `(f32x4.max ${x} ${f32x4(0)})`,
  gelu: (x) => `(call $gelu4 ${x})`,
  geluTanh: (x) => `(call $gelu_tanh4 ${x})`,
  silu: (x) => `(call $silu4 ${x})`,
  erf: (x) => `(call $erf4 ${x})`,
  floor: (x) => `(f32x4.floor ${x})`,
  ceil: (x) => `(f32x4.ceil ${x})`,
  round: (x) => `(f32x4.nearest ${x})`,
};

const sign4 = `
(func $sign4 (param $x v128) (result v128)
  (v128.bitselect ${f32x4(1)} (v128.bitselect ${f32x4(-1)} (local.get $x) (f32x4.lt (local.get $x) ${f32x4(0)}))
    (f32x4.gt (local.get $x) ${f32x4(0)})))`;

const silu4 = `
(func $silu4 (param $x v128) (result v128)
  (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $x))))`;

export function mathFunctions() {
  return [exp4, expm14, log4, log1p4, erfSmall4, erfcLarge4, erf4, gelu4, sigmoid4, tanh4, softplus4, geluTanh4, sign4, silu4].join('\n');
}

export { erfSeries };
