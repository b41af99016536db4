/// <reference types="@webgpu/types" />
import { WebGPULimitError } from './errors.js';

/** The device limits the kernels are checked against, in bytes and counts. */
export interface KernelLimits {
  /** maxStorageBufferBindingSize, possibly lowered by the caller (for tests of the chunked path). */
  maxBindingBytes: number;
  maxBufferBytes: number;
  maxStorageBuffers: number;
  maxWorkgroupsPerDimension: number;
  maxWorkgroupStorageBytes: number;
  /** Binding offsets must be multiples of this many bytes. */
  storageOffsetAlignment: number;
}

/** Indices inside kernels are u32, so no tensor may hold 2^32 elements or more. */
export const MAX_ELEMENTS = 2 ** 32 - 1;

export function kernelLimits(device: GPUDevice, maxBindingBytes?: number): KernelLimits {
  const l = device.limits;
  const deviceBinding = l.maxStorageBufferBindingSize;
  return {
    maxBindingBytes: maxBindingBytes === undefined ? deviceBinding : Math.min(deviceBinding, maxBindingBytes),
    maxBufferBytes: l.maxBufferSize,
    maxStorageBuffers: l.maxStorageBuffersPerShaderStage,
    maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
    storageOffsetAlignment: l.minStorageBufferOffsetAlignment,
  };
}

/**
 * Splits a count of workgroups into a 2-D grid (x, y) with x * y >= count. Every kernel recovers
 * its linear workgroup index as `wid.x + wid.y * num_workgroups.x` and skips indices past the count.
 */
export function gridFor(op: string, workgroups: number, limits: KernelLimits): [number, number] {
  const max = limits.maxWorkgroupsPerDimension;
  if (workgroups <= max) return [workgroups, 1];
  const y = Math.ceil(workgroups / max);
  if (y > max)
    throw new WebGPULimitError(
      op,
      'maxComputeWorkgroupsPerDimension (squared, for a 2-D grid)',
      workgroups,
      max * max,
    );
  return [Math.ceil(workgroups / y), y];
}

export function checkBinding(op: string, bytes: number, limits: KernelLimits): void {
  if (bytes > limits.maxBindingBytes) {
    throw new WebGPULimitError(op, 'maxStorageBufferBindingSize (bytes)', bytes, limits.maxBindingBytes);
  }
}

export function checkBufferSize(op: string, bytes: number, limits: KernelLimits): void {
  if (bytes > limits.maxBufferBytes)
    throw new WebGPULimitError(op, 'maxBufferSize (bytes)', bytes, limits.maxBufferBytes);
}

export function checkStorageBufferCount(op: string, count: number, limits: KernelLimits): void {
  if (count > limits.maxStorageBuffers) {
    throw new WebGPULimitError(op, 'maxStorageBuffersPerShaderStage', count, limits.maxStorageBuffers);
  }
}

export function checkElementCount(op: string, count: number): void {
  if (count > MAX_ELEMENTS)
    throw new WebGPULimitError(op, 'element count (u32 index range)', count, MAX_ELEMENTS);
}
