// Elementwise f32 kernels: unary maps over contiguous arrays, binary ops over 2-D strided operands
// (vectorized when each inner stride is one element or zero, as broadcasting gives) and strided copies.
// A tail shorter than four elements goes through the same vector code on a zero-padded lane, so every
// element gets bit-identical results wherever a thread's share begins.
import { UNARY_EXPRESSIONS } from './math.mjs';
import { c, forLoop, get } from './wat.mjs';

export const UNARY_OPS = Object.keys(UNARY_EXPRESSIONS);

export const BINARY_EXPRESSIONS = {
  add: 'f32x4.add',
  sub: 'f32x4.sub',
  mul: 'f32x4.mul',
  div: 'f32x4.div',
  maximum: 'f32x4.max',
  minimum: 'f32x4.min',
};
export const BINARY_OPS = Object.keys(BINARY_EXPRESSIONS);

/** Word offsets of the parallel elementwise jobs' fields (after the four common words). */
export const UNARY_JOB = { op: 4, x: 5, out: 6, n: 7, chunk: 8 };
export const BINARY_JOB = { op: 4, out: 5, a: 6, b: 7, rows: 8, cols: 9, aRow: 10, aCol: 11, bRow: 12, bCol: 13, rowsPerItem: 14 };

function unaryFunction(op) {
  const apply = UNARY_EXPRESSIONS[op];
  return `
(func $un_${op} (param $x i32) (param $out i32) (param $n i32)
  (local $i i32) (local $end i32)
  (local.set $end (i32.shl (local.get $n) (i32.const 2)))
  (block $vdone (loop $v
    (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
    (v128.store (i32.add (local.get $out) (local.get $i)) ${apply('(v128.load (i32.add (local.get $x) (local.get $i)))')})
    (local.set $i (i32.add (local.get $i) (i32.const 16)))
    (br $v)))
  ${forLoop('tail', 'i', get('i'), get('end'), c(4), `
    (v128.store32_lane 0 (i32.add (local.get $out) (local.get $i)) ${apply('(v128.load32_zero (i32.add (local.get $x) (local.get $i)))')})`)})`;
}

/**
 * Computes out[r, j] = a[r, j] op b[r, j] over rows x cols into contiguous out, with operand strides in
 * bytes. Inner strides of 4 (contiguous) or 0 (broadcast) take vector loops, others a scalar-lane loop.
 */
function binaryFunction(op) {
  const instr = BINARY_EXPRESSIONS[op];
  const vector = (aLoad, bLoad) => `(v128.store (local.get $o) (${instr} ${aLoad} ${bLoad}))`;
  const lane = `(v128.store32_lane 0 (local.get $o) (${instr} (v128.load32_zero (local.get $pa)) (v128.load32_zero (local.get $pb))))`;
  const inner = (body, aStep, bStep) => `
    (block $vdone (loop $v
      (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
      ${body}
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $pa (i32.add (local.get $pa) (i32.const ${aStep})))
      (local.set $pb (i32.add (local.get $pb) (i32.const ${bStep})))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $v)))`;
  return `
(func $bin_${op} (param $out i32) (param $a i32) (param $b i32) (param $rows i32) (param $cols i32)
  (param $aRow i32) (param $aCol i32) (param $bRow i32) (param $bCol i32)
  (local $r i32) (local $j i32) (local $o i32) (local $pa i32) (local $pb i32) (local $mode i32)
  ;; mode: 0 both contiguous, 1 b broadcast, 2 a broadcast, 3 other strides
  (local.set $mode (i32.const 3))
  (if (i32.and (i32.eq (local.get $aCol) (i32.const 4)) (i32.eq (local.get $bCol) (i32.const 4))) (then (local.set $mode (i32.const 0))))
  (if (i32.and (i32.eq (local.get $aCol) (i32.const 4)) (i32.eqz (local.get $bCol))) (then (local.set $mode (i32.const 1))))
  (if (i32.and (i32.eqz (local.get $aCol)) (i32.eq (local.get $bCol) (i32.const 4))) (then (local.set $mode (i32.const 2))))
  (local.set $o (local.get $out))
  ${forLoop('rows', 'r', c(0), get('rows'), c(1), `
    (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $aRow))))
    (local.set $pb (i32.add (local.get $b) (i32.mul (local.get $r) (local.get $bRow))))
    (local.set $j (i32.const 0))
    (if (i32.eqz (local.get $mode)) (then ${inner(vector('(v128.load (local.get $pa))', '(v128.load (local.get $pb))'), 16, 16)}))
    (if (i32.eq (local.get $mode) (i32.const 1)) (then ${inner(vector('(v128.load (local.get $pa))', '(v128.load32_splat (local.get $pb))'), 16, 0)}))
    (if (i32.eq (local.get $mode) (i32.const 2)) (then ${inner(vector('(v128.load32_splat (local.get $pa))', '(v128.load (local.get $pb))'), 0, 16)}))
    ${forLoop('tail', 'j', get('j'), get('cols'), c(1), `
      ${lane}
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
      (local.set $pb (i32.add (local.get $pb) (local.get $bCol)))`)}`)})`;
}

const jobFunctions = `
(func $unary_job (param $job i32) (param $thread i32)
  (local $item i32) (local $start i32) (local $count i32) (local $n i32) (local $chunk i32)
  (local.set $n (i32.load offset=${UNARY_JOB.n * 4} (local.get $job)))
  (local.set $chunk (i32.load offset=${UNARY_JOB.chunk * 4} (local.get $job)))
  (block $done (loop $claim
    (local.set $item (i32.atomic.rmw.add offset=4 (local.get $job) (i32.const 1)))
    (br_if $done (i32.ge_u (local.get $item) (i32.load offset=8 (local.get $job))))
    (local.set $start (i32.mul (local.get $item) (local.get $chunk)))
    (local.set $count (i32.sub (local.get $n) (local.get $start)))
    (if (i32.gt_u (local.get $count) (local.get $chunk)) (then (local.set $count (local.get $chunk))))
    (call $unary
      (i32.load offset=${UNARY_JOB.op * 4} (local.get $job))
      (i32.add (i32.load offset=${UNARY_JOB.x * 4} (local.get $job)) (i32.shl (local.get $start) (i32.const 2)))
      (i32.add (i32.load offset=${UNARY_JOB.out * 4} (local.get $job)) (i32.shl (local.get $start) (i32.const 2)))
      (local.get $count))
    (br $claim))))

(func $binary_job (param $job i32) (param $thread i32)
  (local $item i32) (local $r0 i32) (local $count i32) (local $rows i32) (local $per i32)
  (local.set $rows (i32.load offset=${BINARY_JOB.rows * 4} (local.get $job)))
  (local.set $per (i32.load offset=${BINARY_JOB.rowsPerItem * 4} (local.get $job)))
  (block $done (loop $claim
    (local.set $item (i32.atomic.rmw.add offset=4 (local.get $job) (i32.const 1)))
    (br_if $done (i32.ge_u (local.get $item) (i32.load offset=8 (local.get $job))))
    (local.set $r0 (i32.mul (local.get $item) (local.get $per)))
    (local.set $count (i32.sub (local.get $rows) (local.get $r0)))
    (if (i32.gt_u (local.get $count) (local.get $per)) (then (local.set $count (local.get $per))))
    (call $binary
      (i32.load offset=${BINARY_JOB.op * 4} (local.get $job))
      (i32.add (i32.load offset=${BINARY_JOB.out * 4} (local.get $job))
        (i32.shl (i32.mul (local.get $r0) (i32.load offset=${BINARY_JOB.cols * 4} (local.get $job))) (i32.const 2)))
      (i32.add (i32.load offset=${BINARY_JOB.a * 4} (local.get $job)) (i32.mul (local.get $r0) (i32.load offset=${BINARY_JOB.aRow * 4} (local.get $job))))
      (i32.add (i32.load offset=${BINARY_JOB.b * 4} (local.get $job)) (i32.mul (local.get $r0) (i32.load offset=${BINARY_JOB.bRow * 4} (local.get $job))))
      (local.get $count)
      (i32.load offset=${BINARY_JOB.cols * 4} (local.get $job))
      (i32.load offset=${BINARY_JOB.aRow * 4} (local.get $job)) (i32.load offset=${BINARY_JOB.aCol * 4} (local.get $job))
      (i32.load offset=${BINARY_JOB.bRow * 4} (local.get $job)) (i32.load offset=${BINARY_JOB.bCol * 4} (local.get $job)))
    (br $claim))))`;

/** Exported entry points that pick the op's function from the table. */
const dispatch = `
(func $unary (export "unary") (param $op i32) (param $x i32) (param $out i32) (param $n i32)
  (call_indirect (type $unary_sig) (local.get $x) (local.get $out) (local.get $n) (local.get $op)))
(func $binary (export "binary") (param $op i32) (param $out i32) (param $a i32) (param $b i32) (param $rows i32) (param $cols i32)
  (param $aRow i32) (param $aCol i32) (param $bRow i32) (param $bCol i32)
  (call_indirect (type $binary_sig) (local.get $out) (local.get $a) (local.get $b) (local.get $rows) (local.get $cols)
    (local.get $aRow) (local.get $aCol) (local.get $bRow) (local.get $bCol) (i32.add (local.get $op) (i32.const ${UNARY_OPS.length}))))`;

/** dst (contiguous rows x cols of `size`-byte elements) = src with byte strides rowStride, colStride. */
function copyFunction(size) {
  const load = size === 4 ? 'i32.load' : size === 8 ? 'i64.load' : 'i32.load8_u';
  const store = size === 4 ? 'i32.store' : size === 8 ? 'i64.store' : 'i32.store8';
  return `
(func (export "copy${size * 8}") (param $dst i32) (param $src i32) (param $rows i32) (param $cols i32) (param $rowStride i32) (param $colStride i32)
  (local $r i32) (local $j i32) (local $from i32) (local $rowBytes i32)
  (local.set $rowBytes (i32.mul (local.get $cols) (i32.const ${size})))
  ${forLoop('rows', 'r', c(0), get('rows'), c(1), `
    (local.set $from (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $rowStride))))
    (if (i32.eq (local.get $colStride) (i32.const ${size}))
      (then
        (memory.copy (local.get $dst) (local.get $from) (local.get $rowBytes))
        (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes))))
      (else ${forLoop('cols', 'j', c(0), get('cols'), c(1), `
        (${store} (local.get $dst) (${load} (local.get $from)))
        (local.set $dst (i32.add (local.get $dst) (i32.const ${size})))
        (local.set $from (i32.add (local.get $from) (local.get $colStride)))`)}))`)})`;
}

export function elementwiseFunctions() {
  return [
    ...UNARY_OPS.map(unaryFunction),
    ...BINARY_OPS.map(binaryFunction),
    jobFunctions,
    dispatch,
    copyFunction(4),
    copyFunction(8),
    copyFunction(1),
  ].join('\n');
}

/** Function-table entries, in table order: unary ops first, then binary ops. */
export function tableEntries() {
  return [...UNARY_OPS.map((op) => `$un_${op}`), ...BINARY_OPS.map((op) => `$bin_${op}`)];
}

export const ELEMENTWISE_TYPES = `
(type $unary_sig (func (param i32 i32 i32)))
(type $binary_sig (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))`;
