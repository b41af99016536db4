/// <reference types="@webgpu/types" />
import { getBackend, registerBackend, registeredBackends, useBackend } from '../../backend.js';
import { WebGPUBackend, type WebGPUBackendOptions } from './backend.js';
import {
  type AcquireOptions,
  type AdapterDescription,
  acquireDevice,
  describeAdapter,
  gpuEntry,
  requestAdapter,
} from './device.js';

export interface WebGPUInitOptions extends AcquireOptions, WebGPUBackendOptions {
  /** Name to register the backend under (default 'webgpu'). A second name gives a second device. */
  name?: string;
  /** Also make it the current backend, as `useBackend` does (default false). */
  use?: boolean;
}

/**
 * Acquires a device (Dawn in Node, `navigator.gpu` in a browser, or the one passed in) and registers
 * it as a backend. Registering again under the same name replaces the old backend: tensors already
 * on it stay readable until that device is destroyed.
 *
 * @example
 * const gpu = await initWebGPU({ use: true });
 * const y = tensor([1, 2, 3]).mul(2); // runs on the GPU
 * console.log(await y.data());
 */
export async function initWebGPU(options: WebGPUInitOptions = {}): Promise<WebGPUBackend> {
  const name = options.name ?? 'webgpu';
  const acquired = await acquireDevice(options);
  const backend = new WebGPUBackend(acquired, { ...options, name });
  registerBackend(name, () => backend);
  getBackend(name);
  if (options.use) useBackend(name);
  return backend;
}

export interface SelectOptions extends WebGPUInitOptions {
  /** Logger of the one line naming the choice (default console.info). */
  log?: (line: string) => void;
}

export interface Selection {
  backend: string;
  /** Reason for the choice, with the adapter's description when there was one. */
  reason: string;
  adapter: AdapterDescription | null;
}

let announced = false;

/** Returns the fastest CPU path: the wasm backend when it is registered, else the cpu reference. */
function cpuPath(): string {
  return registeredBackends().includes('wasm') ? 'wasm' : 'cpu';
}

async function chooseAuto(options: SelectOptions): Promise<Selection> {
  let adapter: GPUAdapter;
  try {
    const { gpu } = await gpuEntry(options.dawnFlags);
    adapter = await requestAdapter(gpu, options.powerPreference);
  } catch (error) {
    return { backend: cpuPath(), reason: `no WebGPU adapter (${(error as Error).message})`, adapter: null };
  }
  const description = describeAdapter(adapter);
  const label = [description.vendor, description.architecture, description.description]
    .filter(Boolean)
    .join(' / ');
  if (description.isFallbackAdapter) {
    return {
      backend: cpuPath(),
      reason: `the WebGPU adapter is a software fallback (${label}), slower than the CPU path`,
      adapter: description,
    };
  }
  if (!registeredBackends().includes('webgpu')) await initWebGPU({ ...options, name: 'webgpu' });
  return { backend: 'webgpu', reason: `hardware WebGPU adapter ${label}`, adapter: description };
}

/**
 * Picks and activates a backend. 'auto' prefers a hardware WebGPU adapter (not a fallback such as
 * SwiftShader), else the fastest CPU path ('wasm' when registered, else 'cpu'), and logs the choice
 * and the adapter once per process. A name selects that backend ('webgpu' is initialized on demand).
 */
export async function selectBackend(
  choice: 'auto' | string = 'auto',
  options: SelectOptions = {},
): Promise<Selection> {
  let selection: Selection;
  if (choice === 'auto') selection = await chooseAuto(options);
  else {
    if (choice === 'webgpu' && !registeredBackends().includes('webgpu')) await initWebGPU(options);
    selection = { backend: choice, reason: 'requested by name', adapter: null };
  }
  useBackend(selection.backend);
  if (!announced) {
    announced = true;
    (options.log ?? console.info)(`@lab/tensor: using backend '${selection.backend}': ${selection.reason}`);
  }
  return selection;
}
