// Batched f32 matrix product C = A B for strided A and B, in the blocked scheme of Goto and van de
// Geijn: B is packed into KC x NR micro-panels, A into MR x KC micro-panels, and a register-tiled
// micro-kernel accumulates an MR x NR tile of C in SIMD registers over KC steps. Work items (blocks of
// rows or columns of one batch entry) are claimed with an atomic counter, so any number of threads can
// run the same job.
import { add, c, forLoop, get, locals, minU, mul, set } from './wat.mjs';

/**
 * Block sizes. MR x NR = 5 x 8 uses 10 accumulators, 2 B vectors and 1 broadcast A value: 13 of the 15
 * SIMD registers V8 allocates on x64, measured faster than 4x8 and 6x8 (6x8 spills). KC x NR floats of B
 * (8 KiB) stay in L1, MC x KC of A (120 KiB) and KC x NC of B (512 KiB) in L2.
 */
export const BLOCKS = { mr: 5, nr: 8, kc: 256, mc: 120, nc: 512 };

/** Word offsets of a matmul job's fields. The first four words are common to every job. */
export const MATMUL_JOB = {
  m: 4, n: 5, k: 6, a: 7, aRow: 8, aCol: 9, b: 10, bRow: 11, bCol: 12, c: 13, batchTable: 14,
  rowsPerItem: 15, colsPerItem: 16, rowItems: 17, colItems: 18, scratch: 19, scratchBytes: 20,
  aPackBytes: 21, bPackBytes: 22,
};

const { mr: MR, nr: NR, kc: KC, mc: MC, nc: NC } = BLOCKS;

/** acc + a * b, fused when relaxed SIMD is available. */
function madd(relaxed, acc, a, b) {
  return relaxed ? `(f32x4.relaxed_madd ${a} ${b} ${acc})` : `(f32x4.add ${acc} (f32x4.mul ${a} ${b}))`;
}

/** C[MR x NR] at $cp (row pitch $ldc bytes) = (or +=, when $acc) Ap[kc x MR] * Bp[kc x NR]. */
function microKernel(relaxed) {
  const acc = [];
  for (let r = 0; r < MR; r++) acc.push(`c${r}_0`, `c${r}_1`);
  let steps = '';
  for (let r = 0; r < MR; r++) {
    steps += `(local.set $a (v128.load32_splat offset=${r * 4} (local.get $ap)))\n`;
    steps += `${set(`c${r}_0`, madd(relaxed, get(`c${r}_0`), get('a'), get('b0')))}\n`;
    steps += `${set(`c${r}_1`, madd(relaxed, get(`c${r}_1`), get('a'), get('b1')))}\n`;
  }
  let storeNew = '';
  let storeAdd = '';
  for (let r = 0; r < MR; r++) {
    const row = r === 0 ? get('cp') : `(local.tee $cp (i32.add (local.get $cp) (local.get $ldc)))`;
    storeNew += `(v128.store ${row} ${get(`c${r}_0`)}) (v128.store offset=16 (local.get $cp) ${get(`c${r}_1`)})\n`;
    storeAdd += `(v128.store ${row} (f32x4.add (v128.load (local.get $cp)) ${get(`c${r}_0`)}))
      (v128.store offset=16 (local.get $cp) (f32x4.add (v128.load offset=16 (local.get $cp)) ${get(`c${r}_1`)}))\n`;
  }
  return `
(func $mm_kernel (param $ap i32) (param $bp i32) (param $kc i32) (param $cp i32) (param $ldc i32) (param $accumulate i32)
  (local $a v128) (local $b0 v128) (local $b1 v128) ${locals('v128', acc)}
  (block $done (loop $k
    (br_if $done (i32.eqz (local.get $kc)))
    (local.set $b0 (v128.load (local.get $bp)))
    (local.set $b1 (v128.load offset=16 (local.get $bp)))
    ${steps}
    (local.set $ap (i32.add (local.get $ap) (i32.const ${MR * 4})))
    (local.set $bp (i32.add (local.get $bp) (i32.const ${NR * 4})))
    (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
    (br $k)))
  (if (local.get $accumulate) (then ${storeAdd}) (else ${storeNew})))`;
}

/**
 * Packs B[kc x nc] (element (k, j) at $src + k*$rs + j*$cs bytes) into ceil(nc / NR) micro-panels of
 * kc x NR floats, padding missing columns with zeros.
 */
const packB = `
(func $mm_pack_b (param $dst i32) (param $src i32) (param $kc i32) (param $nc i32) (param $rs i32) (param $cs i32)
  (local $j i32) (local $k i32) (local $col i32) (local $width i32) (local $from i32) (local $to i32)
  ${forLoop('panel', 'j', c(0), get('nc'), c(NR), `
    (local.set $width ${minU(c(NR), `(i32.sub ${get('nc')} ${get('j')})`)})
    (local.set $from ${add(get('src'), mul(get('j'), get('cs')))})
    (if (i32.and (i32.eq (local.get $cs) (i32.const 4)) (i32.eq (local.get $width) (i32.const ${NR})))
      (then ${forLoop('rowsfast', 'k', c(0), get('kc'), c(1), `
        (v128.store (local.get $dst) (v128.load (local.get $from)))
        (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $from)))
        (local.set $from (i32.add (local.get $from) (local.get $rs)))
        (local.set $dst (i32.add (local.get $dst) (i32.const ${NR * 4})))`)})
      (else
        ${forLoop('cols', 'col', c(0), c(NR), c(1), `
          (local.set $to (i32.add (local.get $dst) (i32.shl (local.get $col) (i32.const 2))))
          (if (i32.lt_u (local.get $col) (local.get $width))
            (then
              (local.set $from ${add(get('src'), mul(add(get('j'), get('col')), get('cs')))})
              ${forLoop('colk', 'k', c(0), get('kc'), c(1), `
                (f32.store (local.get $to) (f32.load (local.get $from)))
                (local.set $from (i32.add (local.get $from) (local.get $rs)))
                (local.set $to (i32.add (local.get $to) (i32.const ${NR * 4})))`)})
            (else ${forLoop('zerok', 'k', c(0), get('kc'), c(1), `
                (f32.store (local.get $to) (f32.const 0))
                (local.set $to (i32.add (local.get $to) (i32.const ${NR * 4})))`)}))`)}
        (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const ${NR * 4}))))))`)})`;

/** Packs A[mc x kc] (element (i, k) at $src + i*$rs + k*$cs) into MR-row micro-panels of kc x MR floats. */
const packA = `
(func $mm_pack_a (param $dst i32) (param $src i32) (param $mc i32) (param $kc i32) (param $rs i32) (param $cs i32)
  (local $i i32) (local $r i32) (local $k i32) (local $from i32) (local $to i32)
  ${forLoop('panel', 'i', c(0), get('mc'), c(MR), `
    ${forLoop('rows', 'r', c(0), c(MR), c(1), `
      (local.set $to (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
      (if (i32.lt_u (i32.add (local.get $i) (local.get $r)) (local.get $mc))
        (then
          (local.set $from ${add(get('src'), mul(add(get('i'), get('r')), get('rs')))})
          ${forLoop('rowk', 'k', c(0), get('kc'), c(1), `
            (f32.store (local.get $to) (f32.load (local.get $from)))
            (local.set $from (i32.add (local.get $from) (local.get $cs)))
            (local.set $to (i32.add (local.get $to) (i32.const ${MR * 4})))`)})
        (else ${forLoop('zerok', 'k', c(0), get('kc'), c(1), `
            (f32.store (local.get $to) (f32.const 0))
            (local.set $to (i32.add (local.get $to) (i32.const ${MR * 4})))`)}))`)}
    (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const ${MR * 4}))))`)})`;

/** Writes the valid mr x nr corner of a full tile (row pitch NR floats) to C, adding when $accumulate. */
const edgeStore = `
(func $mm_edge_store (param $tile i32) (param $cp i32) (param $mr i32) (param $nr i32) (param $ldc i32) (param $accumulate i32)
  (local $r i32) (local $col i32) (local $from i32) (local $to i32) (local $value f32)
  ${forLoop('rows', 'r', c(0), get('mr'), c(1), `
    ${forLoop('cols', 'col', c(0), get('nr'), c(1), `
      (local.set $from (i32.add (local.get $tile) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const ${NR})) (local.get $col)) (i32.const 2))))
      (local.set $to (i32.add (i32.add (local.get $cp) (i32.mul (local.get $r) (local.get $ldc))) (i32.shl (local.get $col) (i32.const 2))))
      (local.set $value (f32.load (local.get $from)))
      (if (local.get $accumulate) (then (local.set $value (f32.add (f32.load (local.get $to)) (local.get $value)))))
      (f32.store (local.get $to) (local.get $value))`)}`)})`;

function field(name) {
  return `(i32.load offset=${MATMUL_JOB[name] * 4} (local.get $job))`;
}

/** One work item: rows [i0, i1) x columns [j0, j1) of one batch entry, through the blocked loops. */
const item = `
(func $mm_item (param $job i32) (param $item i32) (param $thread i32)
  (local $m i32) (local $n i32) (local $k i32) (local $perBatch i32) (local $p i32) (local $rest i32)
  (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $a i32) (local $b i32) (local $cbase i32)
  (local $aRow i32) (local $aCol i32) (local $bRow i32) (local $bCol i32) (local $ldc i32)
  (local $apack i32) (local $bpack i32) (local $tile i32)
  (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
  (local $jr i32) (local $ir i32) (local $nr i32) (local $mr i32) (local $apanel i32) (local $bpanel i32) (local $cp i32)
  (local $accumulate i32)
  (local.set $m ${field('m')}) (local.set $n ${field('n')}) (local.set $k ${field('k')})
  (local.set $aRow ${field('aRow')}) (local.set $aCol ${field('aCol')})
  (local.set $bRow ${field('bRow')}) (local.set $bCol ${field('bCol')})
  (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
  (local.set $perBatch (i32.mul ${field('rowItems')} ${field('colItems')}))
  (local.set $p (i32.div_u (local.get $item) (local.get $perBatch)))
  (local.set $rest (i32.rem_u (local.get $item) (local.get $perBatch)))
  (local.set $i0 (i32.mul (i32.div_u (local.get $rest) ${field('colItems')}) ${field('rowsPerItem')}))
  (local.set $i1 ${minU(get('m'), add(get('i0'), field('rowsPerItem')))})
  (local.set $j0 (i32.mul (i32.rem_u (local.get $rest) ${field('colItems')}) ${field('colsPerItem')}))
  (local.set $j1 ${minU(get('n'), add(get('j0'), field('colsPerItem')))})
  (local.set $a (i32.add ${field('a')} (i32.load (i32.add ${field('batchTable')} (i32.shl (local.get $p) (i32.const 3))))))
  (local.set $b (i32.add ${field('b')} (i32.load offset=4 (i32.add ${field('batchTable')} (i32.shl (local.get $p) (i32.const 3))))))
  (local.set $cbase (i32.add ${field('c')} (i32.mul (local.get $p) (i32.mul (local.get $m) (local.get $ldc)))))
  (local.set $apack (i32.add ${field('scratch')} (i32.mul (local.get $thread) ${field('scratchBytes')})))
  (local.set $bpack (i32.add (local.get $apack) ${field('aPackBytes')}))
  (local.set $tile (i32.add (local.get $bpack) ${field('bPackBytes')}))
  ${forLoop('jc', 'jc', get('j0'), get('j1'), c(NC), `
    (local.set $nc ${minU(c(NC), `(i32.sub ${get('j1')} ${get('jc')})`)})
    ${forLoop('pc', 'pc', c(0), get('k'), c(KC), `
      (local.set $kc ${minU(c(KC), `(i32.sub ${get('k')} ${get('pc')})`)})
      (local.set $accumulate (i32.ne (local.get $pc) (i32.const 0)))
      (call $mm_pack_b (local.get $bpack) ${add(get('b'), add(mul(get('pc'), get('bRow')), mul(get('jc'), get('bCol'))))}
        (local.get $kc) (local.get $nc) (local.get $bRow) (local.get $bCol))
      ${forLoop('ic', 'ic', get('i0'), get('i1'), c(MC), `
        (local.set $mc ${minU(c(MC), `(i32.sub ${get('i1')} ${get('ic')})`)})
        (call $mm_pack_a (local.get $apack) ${add(get('a'), add(mul(get('ic'), get('aRow')), mul(get('pc'), get('aCol'))))}
          (local.get $mc) (local.get $kc) (local.get $aRow) (local.get $aCol))
        (local.set $bpanel (local.get $bpack))
        ${forLoop('jr', 'jr', c(0), get('nc'), c(NR), `
          (local.set $nr ${minU(c(NR), `(i32.sub ${get('nc')} ${get('jr')})`)})
          (local.set $apanel (local.get $apack))
          ${forLoop('ir', 'ir', c(0), get('mc'), c(MR), `
            (local.set $mr ${minU(c(MR), `(i32.sub ${get('mc')} ${get('ir')})`)})
            (local.set $cp (i32.add (local.get $cbase) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
              (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
            (if (i32.and (i32.eq (local.get $mr) (i32.const ${MR})) (i32.eq (local.get $nr) (i32.const ${NR})))
              (then (call $mm_kernel (local.get $apanel) (local.get $bpanel) (local.get $kc) (local.get $cp) (local.get $ldc) (local.get $accumulate)))
              (else
                (call $mm_kernel (local.get $apanel) (local.get $bpanel) (local.get $kc) (local.get $tile) (i32.const ${NR * 4}) (i32.const 0))
                (call $mm_edge_store (local.get $tile) (local.get $cp) (local.get $mr) (local.get $nr) (local.get $ldc) (local.get $accumulate))))
            (local.set $apanel (i32.add (local.get $apanel) (i32.mul (local.get $kc) (i32.const ${MR * 4}))))`)}
          (local.set $bpanel (i32.add (local.get $bpanel) (i32.mul (local.get $kc) (i32.const ${NR * 4}))))`)}`)}`)}`)})`;

/** Claims and runs work items until the job's counter passes its item count. */
const job = `
(func $mm_job (param $job i32) (param $thread i32)
  (local $item i32)
  (block $done (loop $claim
    (local.set $item (i32.atomic.rmw.add offset=4 (local.get $job) (i32.const 1)))
    (br_if $done (i32.ge_u (local.get $item) (i32.load offset=8 (local.get $job))))
    (call $mm_item (local.get $job) (local.get $item) (local.get $thread))
    (br $claim))))`;

export function matmulFunctions(relaxed) {
  return [microKernel(relaxed), packB, packA, edgeStore, item, job].join('\n');
}
