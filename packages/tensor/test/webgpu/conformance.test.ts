import { describe, expect, it } from 'vitest';
import { ARITHMETIC_OPS, COMPARE_OPS, type KernelOp, REDUCE_OPS, UNARY_OPS } from '../../src/ops/defs.js';
import { checkNoLeaks } from '../helpers.js';
import { CASES, expectConformance } from './cases.js';
import { checkGpuBuffers, setupWebGPU, titled } from './gpu.js';

checkNoLeaks();
const gpu = await setupWebGPU();
checkGpuBuffers(gpu);

const OTHER_OPS = [
  'logicalNot',
  'isFinite',
  'where',
  'clamp',
  'cast',
  'argmax',
  'argmin',
  'contiguous',
  'unslice',
  'concat',
  'pad',
  'gather',
  'indexSelect',
  'indexAdd',
  'scatterAdd',
  'oneHot',
  'triangle',
  'matmul',
  'softmax',
  'logSoftmax',
  'crossEntropy',
  'layerNorm',
  'rmsNorm',
  'attention',
  'argsort',
  'cumsum',
  'cumprod',
  'cumprodGrad',
  'uniform',
  'full',
] as const;
const KERNEL_OPS = [...UNARY_OPS, ...ARITHMETIC_OPS, ...COMPARE_OPS, ...REDUCE_OPS, ...OTHER_OPS] as const;
/** Fails to compile when a primitive is added to defs.ts without being listed here. */
const listed: [Exclude<KernelOp, (typeof KERNEL_OPS)[number]>] extends [never] ? true : false = true;

// Records which kernels ran, to check that the cases reach every primitive of the backend.
const seen = new Set<string>();
if (gpu.backend) {
  const backend = gpu.backend;
  const execute = backend.execute.bind(backend);
  backend.execute = (op, inputs, attrs, out) => {
    seen.add(op);
    return execute(op, inputs, attrs, out);
  };
}

describe.skipIf(!gpu.backend)(titled('webgpu conformance against cpu', gpu), () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await expectConformance(c, 'webgpu');
    });
  }

  it('cases reach every kernel op', () => {
    expect(listed).toBe(true);
    expect(KERNEL_OPS.filter((op) => !seen.has(op))).toEqual([]);
  });
});
