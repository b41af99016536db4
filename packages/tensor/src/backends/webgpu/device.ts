/// <reference types="@webgpu/types" />
import { WebGPUUnavailableError } from './errors.js';

/**
 * Optional features requested when the adapter has them, and listed in the backend's `features`.
 * NOTE: no kernel uses them yet, because every kernel is written for the core feature set.
 */
export const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

/** Limits requested at the adapter's real values (the defaults are far lower, e.g. 128 MiB bindings). */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxUniformBufferBindingSize',
] as const;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  /** True for software adapters such as SwiftShader. */
  isFallbackAdapter: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: AdapterDescription;
  features: Set<string>;
  /** Node: the object returned by `create()`. The device dies if this is garbage-collected first. */
  keepAlive: unknown;
}

export interface AcquireOptions {
  /** Use this device instead of requesting one (its limits and features are taken as they are). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Node only: flags for Dawn's `create()`, e.g. `['backend=vulkan']`. */
  dawnFlags?: string[];
}

// Holds every Dawn entry object created in this process: dropping one while its device lives
// crashed the process in every run tried.
const dawnInstances = new Set<unknown>();

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Returns `navigator.gpu` in a browser, and in Node the GPU of Dawn from the `webgpu` package. */
export async function gpuEntry(dawnFlags: readonly string[] = []): Promise<{ gpu: GPU; keepAlive: unknown }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, keepAlive: null };
  if (!isNode())
    throw new WebGPUUnavailableError(
      'navigator.gpu is undefined (the browser has WebGPU disabled or is too old)',
    );
  // A computed specifier keeps bundlers from following this import into a native addon.
  const specifier = 'webgpu';
  let dawn: { create: (flags: string[]) => GPU };
  try {
    dawn = (await import(/* @vite-ignore */ specifier)) as typeof dawn;
  } catch (error) {
    throw new WebGPUUnavailableError(
      `the npm package 'webgpu' (Dawn for Node) could not be loaded: ${(error as Error).message}; install it with npm install webgpu`,
    );
  }
  const gpu = dawn.create([...dawnFlags]);
  dawnInstances.add(gpu);
  return { gpu, keepAlive: gpu };
}

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = (adapter.info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description || info.device || '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacy),
  };
}

export async function requestAdapter(
  gpu: GPU,
  powerPreference: GPUPowerPreference = 'high-performance',
): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) {
    const hint = isNode()
      ? 'set VK_ICD_FILENAMES to a Vulkan driver (for example SwiftShader) and XDG_RUNTIME_DIR'
      : 'the browser blocks WebGPU here (headless Chromium needs --enable-unsafe-webgpu)';
    throw new WebGPUUnavailableError(`requestAdapter() returned null; ${hint}`);
  }
  return adapter;
}

/** Acquires a device with the adapter's real limits and the optional features it offers. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  if (options.device) {
    const device = options.device;
    const adapter = {
      vendor: '',
      architecture: '',
      description: 'device supplied by the caller',
      isFallbackAdapter: false,
    };
    return { device, adapter, features: new Set([...device.features] as string[]), keepAlive: null };
  }
  const { gpu, keepAlive } = await gpuEntry(options.dawnFlags);
  const adapter = await requestAdapter(gpu, options.powerPreference);
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: '@lab/tensor' });
  return {
    device,
    adapter: describeAdapter(adapter),
    features: new Set(requiredFeatures as string[]),
    keepAlive,
  };
}
