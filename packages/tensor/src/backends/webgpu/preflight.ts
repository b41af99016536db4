/// <reference types="@webgpu/types" />
import type { DType } from '../../dtype.js';
import { ARITHMETIC_OPS, COMPARE_OPS, type KernelOp, REDUCE_OPS, UNARY_OPS } from '../../ops/defs.js';
import { sizeOf } from '../../shape.js';
import type { WebGPUBackend } from './backend.js';
import {
  type AcquireOptions,
  type AdapterDescription,
  describeAdapter,
  gpuEntry,
  requestAdapter,
} from './device.js';
import { MAX_FUSED_KEYS } from './kernels-attention.js';
import { LOCAL_SORT_LENGTH } from './kernels-order.js';
import { SPLIT_LENGTH } from './kernels-reduce.js';
import { gridFor, type KernelLimits, MAX_ELEMENTS } from './limits.js';
import { WG } from './wgsl.js';

export interface PlannedTensor {
  name: string;
  shape: readonly number[];
  dtype?: DType;
}

export interface PlannedOp {
  name: string;
  op: KernelOp;
  /** Output shape. */
  shape: readonly number[];
  /** Length of the reduced or sorted rows, or the number of keys of attention. */
  rowLength?: number;
}

/** The largest tensors and the heavy ops of a model, as the caller plans to run it. */
export interface ModelPlan {
  tensors: readonly PlannedTensor[];
  ops?: readonly PlannedOp[];
}

export interface TensorFit {
  name: string;
  bytes: number;
  /** Under the storage-binding limit: every op can take it whole. */
  fits: boolean;
  problem?: string;
}

export interface OpSplit {
  name: string;
  op: KernelOp;
  how: string;
}

export interface PreflightReport {
  adapter: AdapterDescription;
  limits: KernelLimits;
  features: string[];
  /** Every planned tensor fits and no planned op is rejected. */
  fits: boolean;
  largest: TensorFit | null;
  tensors: TensorFit[];
  splits: OpSplit[];
  problems: string[];
}

const MAPPED_OPS = new Set<string>([
  ...UNARY_OPS,
  ...ARITHMETIC_OPS,
  ...COMPARE_OPS,
  'logicalNot',
  'isFinite',
  'where',
  'clamp',
  'cast',
  'contiguous',
  'full',
  'uniform',
  'triangle',
]);
const FOLD_OPS = new Set<string>([...REDUCE_OPS, 'argmax', 'argmin']);

function fitOf(t: PlannedTensor, limits: KernelLimits): TensorFit {
  const count = sizeOf(t.shape);
  const bytes = count * 4;
  if (t.dtype === 'f64')
    return { name: t.name, bytes: count * 8, fits: false, problem: 'f64 is not supported on webgpu' };
  if (count > MAX_ELEMENTS)
    return { name: t.name, bytes, fits: false, problem: `${count} elements exceed the u32 index range` };
  if (bytes > limits.maxBufferBytes)
    return {
      name: t.name,
      bytes,
      fits: false,
      problem: `${bytes} B exceed maxBufferSize ${limits.maxBufferBytes} B`,
    };
  if (bytes > limits.maxBindingBytes) {
    return {
      name: t.name,
      bytes,
      fits: false,
      problem: `${bytes} B exceed maxStorageBufferBindingSize ${limits.maxBindingBytes} B; only elementwise ops can split it`,
    };
  }
  return { name: t.name, bytes, fits: true };
}

function splitsOf(op: PlannedOp, limits: KernelLimits): { splits: string[]; problem?: string } {
  const count = sizeOf(op.shape);
  const bytes = count * 4;
  const splits: string[] = [];
  const mapped = MAPPED_OPS.has(op.op);
  if (bytes > limits.maxBindingBytes) {
    if (!mapped)
      return {
        splits,
        problem: `${op.name} (${op.op}) writes ${bytes} B, over maxStorageBufferBindingSize ${limits.maxBindingBytes} B, and cannot be split`,
      };
    const chunk = Math.floor((limits.maxBindingBytes - limits.storageOffsetAlignment) / 4 / 64) * 64;
    splits.push(`chunked into ${Math.ceil(count / chunk)} dispatches of at most ${chunk * 4} B`);
  }
  const workgroups = Math.ceil(count / WG);
  if (workgroups > limits.maxWorkgroupsPerDimension) {
    const [x, y] = gridFor(op.name, workgroups, limits);
    splits.push(`${workgroups} workgroups run as a 2-D grid of ${x} x ${y}`);
  }
  const length = op.rowLength ?? 0;
  if (FOLD_OPS.has(op.op) && length > SPLIT_LENGTH)
    splits.push(`rows of ${length} split over ${Math.ceil(length / SPLIT_LENGTH)} workgroups, then merged`);
  if (op.op === 'argsort' && length > LOCAL_SORT_LENGTH)
    splits.push(`rows of ${length} sorted by a global bitonic network of dispatches`);
  if (op.op === 'attention' && length > MAX_FUSED_KEYS)
    splits.push(`${length} keys: composed from matmul, softmax and matmul`);
  return { splits };
}

/** Builds the report for given limits, which `webgpuPreflight` reads from the adapter. */
export function preflightWithLimits(
  plan: ModelPlan,
  limits: KernelLimits,
  adapter: AdapterDescription,
  features: readonly string[],
): PreflightReport {
  const tensors = plan.tensors.map((t) => fitOf(t, limits));
  const problems = tensors.flatMap((t) => (t.fits ? [] : [`${t.name}: ${t.problem}`]));
  const splits: OpSplit[] = [];
  for (const op of plan.ops ?? []) {
    const result = splitsOf(op, limits);
    if (result.problem) problems.push(result.problem);
    for (const how of result.splits) splits.push({ name: op.name, op: op.op, how });
  }
  const largest = tensors.reduce<TensorFit | null>(
    (best, t) => (best === null || t.bytes > best.bytes ? t : best),
    null,
  );
  return {
    adapter,
    limits,
    features: [...features],
    fits: problems.length === 0,
    largest,
    tensors,
    splits,
    problems,
  };
}

function limitsOfAdapter(adapter: GPUAdapter): KernelLimits {
  const l = adapter.limits;
  return {
    maxBindingBytes: l.maxStorageBufferBindingSize,
    maxBufferBytes: l.maxBufferSize,
    maxStorageBuffers: l.maxStorageBuffersPerShaderStage,
    maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
    storageOffsetAlignment: l.minStorageBufferOffsetAlignment,
  };
}

/**
 * Reads the limits and features of the adapter (or of an initialized backend) and reports whether the
 * planned tensors fit, which ops will be split and how, and what will be rejected.
 */
export async function webgpuPreflight(
  plan: ModelPlan,
  options: AcquireOptions & { backend?: WebGPUBackend } = {},
): Promise<PreflightReport> {
  if (options.backend) {
    const b = options.backend;
    return preflightWithLimits(plan, b.kernelLimits, b.adapter, [...b.features]);
  }
  const { gpu } = await gpuEntry(options.dawnFlags);
  const adapter = await requestAdapter(gpu, options.powerPreference);
  return preflightWithLimits(plan, limitsOfAdapter(adapter), describeAdapter(adapter), [
    ...adapter.features,
  ] as string[]);
}
