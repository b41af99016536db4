// Acquires the WebGPU backend for a test file. With CI=true a missing adapter is an error, so the
// suite fails. Elsewhere the suites are skipped and their title carries the reason.
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { memory } from '../../src/index.js';
import { initWebGPU, type WebGPUBackend, type WebGPUInitOptions } from '../../src/backends/webgpu/index.js';

export interface GpuSetup {
  backend: WebGPUBackend | null;
  /** Why there is no backend ('' when there is one). */
  reason: string;
}

function isCi(): boolean {
  const fromProcess = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.CI;
  const fromVite = (import.meta as { env?: Record<string, string | undefined> }).env?.CI;
  const value = fromProcess ?? fromVite ?? '';
  return value !== '' && value !== 'false' && value !== '0';
}

export async function setupWebGPU(options: WebGPUInitOptions = {}): Promise<GpuSetup> {
  try {
    const backend = await initWebGPU(options);
    afterAll(() => backend.destroy());
    return { backend, reason: '' };
  } catch (error) {
    if (isCi()) throw new Error(`CI requires a WebGPU adapter: ${(error as Error).message}`);
    return { backend: null, reason: (error as Error).message };
  }
}

/** Returns the suite title, with the reason when the suite is skipped. */
export function titled(name: string, gpu: GpuSetup): string {
  return gpu.backend ? name : `${name} (skipped: ${gpu.reason})`;
}

/** After every test, live tensors, storages and GPU buffers are back to where the test started. */
export function checkGpuBuffers(gpu: GpuSetup): void {
  let start = { buffers: 0, bytes: 0, gpuBuffers: 0 };
  beforeEach(() => {
    const m = memory();
    start = { buffers: m.buffers, bytes: m.bytes, gpuBuffers: gpu.backend?.stats().liveBuffers ?? 0 };
  });
  afterEach(() => {
    const m = memory();
    expect(m.buffers, 'live storages after the test').toBe(start.buffers);
    expect(m.bytes, 'live bytes after the test').toBe(start.bytes);
    expect(gpu.backend?.stats().liveBuffers ?? 0, 'live GPU buffers after the test').toBe(start.gpuBuffers);
  });
}
