// Assembles the kernel module's WebAssembly text from the kernel generators. The module imports one
// memory (declared shared, a flag the loader clears for hosts without threads) and exports one entry
// per kernel family plus `run`, which dispatches a parallel job by its kind.
import { BINARY_JOB, BINARY_OPS, ELEMENTWISE_TYPES, elementwiseFunctions, tableEntries, UNARY_JOB, UNARY_OPS } from './elementwise.mjs';
import { mathFunctions } from './math.mjs';
import { BLOCKS, MATMUL_JOB, matmulFunctions } from './matmul.mjs';
import { REDUCE_OPS, rowFunctions } from './rows.mjs';

/** Largest memory the module accepts, in 64 KiB pages (4 GiB). */
export const MAX_PAGES = 65536;

export const JOB_KINDS = { matmul: 1, unary: 2, binary: 3 };

const run = `
(func (export "run") (param $job i32) (param $thread i32)
  (block $unknown (block $binary (block $unary (block $matmul
    (br_table $matmul $unary $binary $unknown (i32.sub (i32.load (local.get $job)) (i32.const 1))))
    (call $mm_job (local.get $job) (local.get $thread)) (return))
    (call $unary_job (local.get $job) (local.get $thread)) (return))
    (call $binary_job (local.get $job) (local.get $thread)) (return))
  (unreachable))`;

/** Returns the module text. With `relaxed`, the matmul micro-kernel uses f32x4.relaxed_madd. */
export function moduleText(relaxed) {
  const entries = tableEntries();
  return `(module
(import "env" "memory" (memory 1 ${MAX_PAGES} shared))
${ELEMENTWISE_TYPES}
(table ${entries.length} funcref)
(elem (i32.const 0) ${entries.join(' ')})
${mathFunctions()}
${elementwiseFunctions()}
${rowFunctions()}
${matmulFunctions(relaxed)}
(func (export "matmul_job") (param $job i32) (param $thread i32) (call $mm_job (local.get $job) (local.get $thread)))
${run}
)`;
}

/** Constants the TypeScript side needs, written into the generated module. */
export const LAYOUT = {
  unaryOps: UNARY_OPS,
  binaryOps: BINARY_OPS,
  reduceOps: REDUCE_OPS,
  blocks: BLOCKS,
  jobKinds: JOB_KINDS,
  matmulJob: MATMUL_JOB,
  unaryJob: UNARY_JOB,
  binaryJob: BINARY_JOB,
  maxPages: MAX_PAGES,
};

/** A module that validates only where relaxed SIMD is enabled. */
export const RELAXED_PROBE = `(module (func (param v128) (result v128)
  (f32x4.relaxed_madd (local.get 0) (local.get 0) (local.get 0))))`;
