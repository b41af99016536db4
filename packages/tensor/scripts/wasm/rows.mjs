// Row kernels over contiguous f32 data: reductions (over rows or over a middle axis), argmax/argmin,
// softmax and logSoftmax, layer and RMS normalization, cross-entropy, and the masked softmax of
// attention scores. Sums accumulate in f64 lanes, as the cpu reference does.
import { f32x4 } from './wat.mjs';

export const REDUCE_OPS = ['sum', 'max', 'min'];

const HIGH_TO_LOW = '8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7';

/** Adds the four f32 lanes of `v` into the two f64x2 accumulators `$s0` and `$s1`. */
function accumulate(v) {
  return `(local.set $v ${v})
    (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
    (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4 (i8x16.shuffle ${HIGH_TO_LOW} (local.get $v) (local.get $v)))))`;
}

const horizontalSum = `(f64.add (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
  (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))`;

/** Loop over a row at $p of $cols floats: `vector` sees `(local.get $v)`-ready loads at $q, `scalar` at $q too. */
function rowLoop(label, vector, scalar) {
  return `(local.set $q (local.get $p))
  (local.set $end (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
  (block $${label}_vdone (loop $${label}_v
    (br_if $${label}_vdone (i32.gt_u (i32.add (local.get $q) (i32.const 16)) (local.get $end)))
    ${vector}
    (local.set $q (i32.add (local.get $q) (i32.const 16)))
    (br $${label}_v)))
  (block $${label}_sdone (loop $${label}_s
    (br_if $${label}_sdone (i32.ge_u (local.get $q) (local.get $end)))
    ${scalar}
    (local.set $q (i32.add (local.get $q) (i32.const 4)))
    (br $${label}_s)))`;
}

const ROW_LOCALS = '(local $q i32) (local $end i32) (local $v v128) (local $s0 v128) (local $s1 v128)';

/** Sum in f64, and max and min with NaN winning, of the row at $p. */
const rowFolds = `
(func $row_sum (param $p i32) (param $cols i32) (result f64)
  ${ROW_LOCALS} (local $tail f64)
  ${rowLoop('sum', accumulate('(v128.load (local.get $q))'), '(local.set $tail (f64.add (local.get $tail) (f64.promote_f32 (f32.load (local.get $q)))))')}
  (f64.add ${horizontalSum} (local.get $tail)))

(func $row_max (param $p i32) (param $cols i32) (param $isMin i32) (result f32)
  ${ROW_LOCALS} (local $best f32)
  (local.set $v (select ${f32x4(Infinity)} ${f32x4(-Infinity)} (local.get $isMin)))
  (local.set $best (f32x4.extract_lane 0 (local.get $v)))
  (if (local.get $isMin)
    (then ${rowLoop('min', '(local.set $v (f32x4.min (local.get $v) (v128.load (local.get $q))))', '(local.set $best (f32.min (local.get $best) (f32.load (local.get $q))))')}
      (local.set $best (f32.min (local.get $best) (f32.min (f32.min (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
        (f32.min (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))))
    (else ${rowLoop('max', '(local.set $v (f32x4.max (local.get $v) (v128.load (local.get $q))))', '(local.set $best (f32.max (local.get $best) (f32.load (local.get $q))))')}
      (local.set $best (f32.max (local.get $best) (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
        (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))))))
  (local.get $best))`;

/** Folds each row of x (rows x cols) into out[r]: op 0 is sum, 1 max, 2 min. */
const reduceRows = `
(func (export "reduce_rows") (param $op i32) (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
  (local $r i32) (local $p i32)
  (local.set $p (local.get $x))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
      (if (result f32) (i32.eqz (local.get $op))
        (then (f32.demote_f64 (call $row_sum (local.get $p) (local.get $cols))))
        (else (call $row_max (local.get $p) (local.get $cols) (i32.eq (local.get $op) (i32.const 2))))))
    (local.set $p (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row))))`;

/**
 * out[o, i] = fold over c of x[o, c, i] for x of (outer, count, inner). Sums accumulate in `scratch`
 * (inner f64 values), while max and min fold straight into out.
 */
const reduceMiddle = `
(func (export "reduce_middle") (param $op i32) (param $x i32) (param $out i32) (param $outer i32) (param $count i32) (param $inner i32) (param $scratch i32)
  (local $o i32) (local $k i32) (local $i i32) (local $src i32) (local $dst i32) (local $acc i32) (local $v v128) (local $init f32)
  (local.set $init (select (f32.const inf) (f32.const -inf) (i32.eq (local.get $op) (i32.const 2))))
  (block $odone (loop $outerLoop
    (br_if $odone (i32.ge_u (local.get $o) (local.get $outer)))
    (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $o) (local.get $inner)) (i32.const 2))))
    (local.set $i (i32.const 0))
    (block $idone (loop $initLoop
      (br_if $idone (i32.ge_u (local.get $i) (local.get $inner)))
      (if (i32.eqz (local.get $op))
        (then (f64.store (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 3))) (f64.const 0)))
        (else (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $init))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $initLoop)))
    (local.set $k (i32.const 0))
    (block $kdone (loop $countLoop
      (br_if $kdone (i32.ge_u (local.get $k) (local.get $count)))
      (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $o) (local.get $count)) (local.get $k)) (local.get $inner)) (i32.const 2))))
      (local.set $i (i32.const 0))
      (if (i32.eqz (local.get $op))
        (then
          (block $sdone (loop $sumLoop
            (br_if $sdone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $inner)))
            (local.set $acc (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 3))))
            (local.set $v (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
            (v128.store (local.get $acc) (f64x2.add (v128.load (local.get $acc)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 (local.get $acc) (f64x2.add (v128.load offset=16 (local.get $acc))
              (f64x2.promote_low_f32x4 (i8x16.shuffle ${HIGH_TO_LOW} (local.get $v) (local.get $v)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $sumLoop)))
          (block $tdone (loop $sumTail
            (br_if $tdone (i32.ge_u (local.get $i) (local.get $inner)))
            (local.set $acc (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 3))))
            (f64.store (local.get $acc) (f64.add (f64.load (local.get $acc)) (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $sumTail))))
        (else
          (block $mdone (loop $foldLoop
            (br_if $mdone (i32.ge_u (local.get $i) (local.get $inner)))
            (local.set $acc (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
            (f32.store (local.get $acc)
              (if (result f32) (i32.eq (local.get $op) (i32.const 2))
                (then (f32.min (f32.load (local.get $acc)) (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
                (else (f32.max (f32.load (local.get $acc)) (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $foldLoop)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $countLoop)))
    (if (i32.eqz (local.get $op))
      (then
        (local.set $i (i32.const 0))
        (block $wdone (loop $writeLoop
          (br_if $wdone (i32.ge_u (local.get $i) (local.get $inner)))
          (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
            (f32.demote_f64 (f64.load (i32.add (local.get $scratch) (i32.shl (local.get $i) (i32.const 3))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $writeLoop)))))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (br $outerLoop))))`;

/** Writes the index of the first largest (or smallest) element of each row. NaN counts as the extreme. */
const argRows = `
(func (export "arg_rows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $isMin i32)
  (local $r i32) (local $i i32) (local $p i32) (local $best f32) (local $v f32) (local $index i32)
  (local.set $p (local.get $x))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (local.set $index (i32.const 0))
    (if (local.get $cols) (then
      (local.set $best (f32.load (local.get $p)))
      (local.set $i (i32.const 1))
      (block $found (loop $scan
        (br_if $found (i32.ge_u (local.get $i) (local.get $cols)))
        (br_if $found (f32.ne (local.get $best) (local.get $best)))
        (local.set $v (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.or (f32.ne (local.get $v) (local.get $v))
              (select (f32.lt (local.get $v) (local.get $best)) (f32.gt (local.get $v) (local.get $best)) (local.get $isMin)))
          (then (local.set $best (local.get $v)) (local.set $index (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))))
    (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (local.get $index))
    (local.set $p (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row))))`;

/** The f32 log of a positive f64 through the vector log. */
const scalarLog = `
(func $log_scalar (param $x f64) (result f32)
  (f32x4.extract_lane 0 (call $log4 (f32x4.splat (f32.demote_f64 (local.get $x))))))`;

/**
 * Writes softmax (or logSoftmax when $log) of the row at $p to $dst. A row whose maximum is -inf becomes
 * zeros (logSoftmax: stays -inf). $p and $dst may be equal.
 */
const softmaxRow = `
(func $softmax_row (param $p i32) (param $dst i32) (param $cols i32) (param $log i32)
  ${ROW_LOCALS} (local $m f32) (local $mv v128) (local $e v128) (local $tail f64) (local $total f64) (local $shift v128) (local $o i32)
  (local.set $m (call $row_max (local.get $p) (local.get $cols) (i32.const 0)))
  (if (f32.eq (local.get $m) (f32.const -inf)) (then
    (if (local.get $log)
      (then (memory.copy (local.get $dst) (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
      (else (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))))
    (return)))
  (local.set $mv (f32x4.splat (local.get $m)))
  (local.set $o (local.get $dst))
  ${rowLoop('exp', `(local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $q)) (local.get $mv))))
    (if (i32.eqz (local.get $log)) (then (v128.store (local.get $o) (local.get $e))))
    (local.set $o (i32.add (local.get $o) (i32.const 16)))
    ${accumulate('(local.get $e)')}`, `(local.set $e (call $exp4 (f32x4.sub (v128.load32_zero (local.get $q)) (local.get $mv))))
    (if (i32.eqz (local.get $log)) (then (v128.store32_lane 0 (local.get $o) (local.get $e))))
    (local.set $o (i32.add (local.get $o) (i32.const 4)))
    (local.set $tail (f64.add (local.get $tail) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $e)))))`)}
  (local.set $total (f64.add ${horizontalSum} (local.get $tail)))
  (local.set $o (local.get $dst))
  (if (local.get $log)
    (then
      (local.set $shift (f32x4.splat (f32.add (local.get $m) (call $log_scalar (local.get $total)))))
      ${rowLoop('logout', `(v128.store (local.get $o) (f32x4.sub (v128.load (local.get $q)) (local.get $shift)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))`, `(f32.store (local.get $o) (f32.sub (f32.load (local.get $q)) (f32x4.extract_lane 0 (local.get $shift))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))`)})
    (else
      (local.set $shift (f32x4.splat (f32.demote_f64 (local.get $total))))
      (local.set $p (local.get $dst))
      ${rowLoop('divide', `(v128.store (local.get $q) (f32x4.div (v128.load (local.get $q)) (local.get $shift)))`,
        `(f32.store (local.get $q) (f32.div (f32.load (local.get $q)) (f32x4.extract_lane 0 (local.get $shift))))`)})))`;

const softmaxRows = `
(func (export "softmax_rows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $log i32)
  (local $r i32) (local $bytes i32)
  (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (call $softmax_row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $bytes)))
      (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $bytes))) (local.get $cols) (local.get $log))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row))))`;

/**
 * Scales attention scores (rows x cols, in place), masks key j of query row i when j > i + $shift or
 * when mask[i * maskRow + j * maskCol] is 0 (a $mask of 0 means no mask), then applies softmax.
 */
const attentionRows = `
(func (export "attention_rows") (param $scores i32) (param $rows i32) (param $cols i32) (param $scale f32) (param $shift i32)
  (param $mask i32) (param $maskRow i32) (param $maskCol i32)
  (local $r i32) (local $j i32) (local $limit i32) (local $p i32) (local $q i32) (local $m i32) (local $sv v128)
  (local.set $sv (f32x4.splat (local.get $scale)))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (local.set $p (i32.add (local.get $scores) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
    ;; keys j < limit pass the causal test; limit = clamp(r + shift + 1, 0, cols)
    (local.set $limit (i32.add (i32.add (local.get $r) (local.get $shift)) (i32.const 1)))
    (if (i32.lt_s (local.get $limit) (i32.const 0)) (then (local.set $limit (i32.const 0))))
    (if (i32.gt_s (local.get $limit) (local.get $cols)) (then (local.set $limit (local.get $cols))))
    (local.set $j (i32.const 0))
    (local.set $q (local.get $p))
    (if (i32.eqz (local.get $mask)) (then
      (block $vdone (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $limit)))
        (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $sv)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $v)))))
    (local.set $m (i32.add (local.get $mask) (i32.add (i32.mul (local.get $r) (local.get $maskRow)) (i32.mul (local.get $j) (local.get $maskCol)))))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $j) (local.get $cols)))
      (f32.store (local.get $q)
        (if (result f32) (i32.and (i32.lt_u (local.get $j) (local.get $limit))
              (i32.or (i32.eqz (local.get $mask)) (i32.load8_u (local.get $m))))
          (then (f32.mul (f32.load (local.get $q)) (local.get $scale)))
          (else (f32.const -inf))))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (local.set $m (i32.add (local.get $m) (local.get $maskCol)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $s)))
    (call $softmax_row (local.get $p) (local.get $p) (local.get $cols) (i32.const 0))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row))))`;

/**
 * Layer normalization ($rms = 0: (x - mean) / sqrt(var + eps)) or RMS normalization ($rms = 1:
 * x / sqrt(mean(x^2) + eps)) of each row, with the statistics and the output computed in f64.
 */
const normRows = `
(func (export "norm_rows") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32) (param $eps f64) (param $rms i32)
  (local $r i32) (local $p i32) ${ROW_LOCALS} (local $tail f64) (local $mean f64) (local $factor f64) (local $m2 v128) (local $f2 v128)
  (local $d0 v128) (local $d1 v128) (local $o i32)
  (local.set $p (local.get $x))
  (local.set $o (local.get $out))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (local.set $mean (f64.const 0))
    (if (i32.eqz (local.get $rms)) (then
      (local.set $mean (f64.div (call $row_sum (local.get $p) (local.get $cols)) (f64.convert_i32_u (local.get $cols))))))
    (local.set $m2 (f64x2.splat (local.get $mean)))
    (local.set $s0 (v128.const i64x2 0 0)) (local.set $s1 (v128.const i64x2 0 0)) (local.set $tail (f64.const 0))
    ${rowLoop('var', `(local.set $v (v128.load (local.get $q)))
      (local.set $d0 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m2)))
      (local.set $d1 (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle ${HIGH_TO_LOW} (local.get $v) (local.get $v))) (local.get $m2)))
      (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $d0) (local.get $d0))))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $d1) (local.get $d1))))`,
      `(local.set $factor (f64.sub (f64.promote_f32 (f32.load (local.get $q))) (local.get $mean)))
      (local.set $tail (f64.add (local.get $tail) (f64.mul (local.get $factor) (local.get $factor))))`)}
    (local.set $factor (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div (f64.add ${horizontalSum} (local.get $tail))
      (f64.convert_i32_u (local.get $cols))) (local.get $eps)))))
    (local.set $f2 (f64x2.splat (local.get $factor)))
    ${rowLoop('write', `(local.set $v (v128.load (local.get $q)))
      (local.set $d0 (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m2)) (local.get $f2))))
      (local.set $d1 (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle ${HIGH_TO_LOW} (local.get $v) (local.get $v))) (local.get $m2)) (local.get $f2))))
      (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d0) (local.get $d1)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))`,
      `(f32.store (local.get $o) (f32.demote_f64 (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $q))) (local.get $mean)) (local.get $factor))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))`)}
    (local.set $p (i32.add (local.get $p) (i32.shl (local.get $cols) (i32.const 2))))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row))))`;

/**
 * Per-row cross-entropy: logsumexp(z) - ((1 - s) z_t + (s / C) sum(z)), 0 for rows whose target is
 * $ignore. Returns -1, or the first row whose target is outside [0, C).
 */
const crossEntropy = `
(func (export "cross_entropy_rows") (param $logits i32) (param $targets i32) (param $out i32) (param $rows i32) (param $cols i32)
  (param $ignore i32) (param $smoothing f64) (result i32)
  (local $r i32) (local $p i32) (local $t i32) ${ROW_LOCALS} (local $m f32) (local $mv v128) (local $e v128) (local $tail f64) (local $lse f64)
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
    (local.set $t (i32.load (i32.add (local.get $targets) (i32.shl (local.get $r) (i32.const 2)))))
    (local.set $p (i32.add (local.get $logits) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
    (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (f32.const 0))
    (if (i32.ne (local.get $t) (local.get $ignore)) (then
      (if (i32.or (i32.lt_s (local.get $t) (i32.const 0)) (i32.ge_s (local.get $t) (local.get $cols))) (then (return (local.get $r))))
      (local.set $m (call $row_max (local.get $p) (local.get $cols) (i32.const 0)))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $s0 (v128.const i64x2 0 0)) (local.set $s1 (v128.const i64x2 0 0)) (local.set $tail (f64.const 0))
      ${rowLoop('lse', accumulate('(call $exp4 (f32x4.sub (v128.load (local.get $q)) (local.get $mv)))'),
        `(local.set $tail (f64.add (local.get $tail) (f64.promote_f32 (f32x4.extract_lane 0
          (call $exp4 (f32x4.sub (v128.load32_zero (local.get $q)) (local.get $mv)))))))`)}
      (local.set $lse (f64.add (f64.promote_f32 (local.get $m)) (f64.promote_f32 (call $log_scalar (f64.add ${horizontalSum} (local.get $tail))))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
        (f32.demote_f64 (f64.sub (local.get $lse)
          (f64.add (f64.mul (f64.sub (f64.const 1) (local.get $smoothing)) (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2))))))
            (f64.mul (f64.div (local.get $smoothing) (f64.convert_i32_u (local.get $cols))) (call $row_sum (local.get $p) (local.get $cols)))))))))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $row)))
  (i32.const -1))`;

export function rowFunctions() {
  return [rowFolds, reduceRows, reduceMiddle, argRows, scalarLog, softmaxRow, softmaxRows, attentionRows, normRows, crossEntropy].join('\n');
}
