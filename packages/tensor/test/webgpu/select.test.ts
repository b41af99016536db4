// Backend selection and the preflight report. The preflight arithmetic is checked against fixed
// limits (the WebGPU defaults), then against the adapter this machine has.
import { afterEach, describe, expect, it } from 'vitest';
import { currentBackendName, registeredBackends, useBackend } from '../../src/index.js';
import {
  type KernelLimits,
  preflightWithLimits,
  selectBackend,
  webgpuPreflight,
} from '../../src/backends/webgpu/index.js';
import { checkNoLeaks } from '../helpers.js';
import { setupWebGPU, titled } from './gpu.js';

checkNoLeaks();
const gpu = await setupWebGPU();

/** WebGPU's default limits: 128 MiB bindings, 256 MiB buffers, 65,535 workgroups per dimension. */
const DEFAULT_LIMITS: KernelLimits = {
  maxBindingBytes: 134217728,
  maxBufferBytes: 268435456,
  maxStorageBuffers: 8,
  maxWorkgroupsPerDimension: 65535,
  maxWorkgroupStorageBytes: 16384,
  storageOffsetAlignment: 256,
};
const ADAPTER = {
  vendor: 'test',
  architecture: 'none',
  description: 'fixed limits',
  isFallbackAdapter: false,
};

describe('preflight with the default limits', () => {
  const report = preflightWithLimits(
    {
      tensors: [
        { name: 'logits 131', shape: [131, 256000] },
        { name: 'logits 132', shape: [132, 256000] },
        { name: 'weights f64', shape: [4], dtype: 'f64' },
      ],
      ops: [
        { name: 'scale logits', op: 'mul', shape: [132, 256000] },
        { name: 'log-softmax logits', op: 'logSoftmax', shape: [132, 256000], rowLength: 256000 },
        { name: 'row sums', op: 'sum', shape: [131], rowLength: 256000 },
        { name: 'top-p sort', op: 'argsort', shape: [4, 50000], rowLength: 50000 },
        { name: 'long attention', op: 'attention', shape: [1, 8, 16, 64], rowLength: 4096 },
      ],
    },
    DEFAULT_LIMITS,
    ADAPTER,
    [],
  );

  it('tensor under the binding limit fits', () => {
    // 131 * 256000 * 4 = 134,144,000 B <= 134,217,728 B
    expect(report.tensors[0]).toEqual({ name: 'logits 131', bytes: 134144000, fits: true });
  });

  it('tensor over the binding limit does not', () => {
    // 132 * 256000 * 4 = 135,168,000 B > 134,217,728 B
    expect(report.tensors[1].fits).toBe(false);
    expect(report.tensors[1].bytes).toBe(135168000);
    expect(report.largest?.name).toBe('logits 132');
  });

  it('f64 tensor is a problem', () => {
    expect(report.tensors[2].fits).toBe(false);
    expect(report.problems.some((p) => p.includes('f64'))).toBe(true);
  });

  it('elementwise op over the limit is chunked', () => {
    // chunks of (134217728 - 256) / 4 rounded down to 64 elements: 33554368 elements = 134217472 B
    const split = report.splits.find((s) => s.name === 'scale logits');
    expect(split?.how).toBe('chunked into 2 dispatches of at most 134217472 B');
  });

  it('row op over the limit is rejected', () => {
    expect(report.problems.some((p) => p.startsWith('log-softmax logits'))).toBe(true);
    expect(report.fits).toBe(false);
  });

  it('long rows are split and merged', () => {
    const hows = report.splits.map((s) => `${s.name}: ${s.how}`);
    // 256000 / 512 = 500 workgroups per row
    expect(hows).toContain('row sums: rows of 256000 split over 500 workgroups, then merged');
    expect(hows).toContain('top-p sort: rows of 50000 sorted by a global bitonic network of dispatches');
    expect(hows).toContain('long attention: 4096 keys: composed from matmul, softmax and matmul');
  });

  it('large grid becomes 2-D', () => {
    // 33,792,000 elements / 64 = 528,000 workgroups -> y = ceil(528000 / 65535) = 9, x = ceil(528000 / 9) = 58667
    const grid = report.splits.find((s) => s.name === 'scale logits' && s.how.includes('2-D'));
    expect(grid?.how).toBe('528000 workgroups run as a 2-D grid of 58667 x 9');
  });
});

describe.skipIf(!gpu.backend)(titled('webgpu adapter selection', gpu), () => {
  afterEach(() => useBackend('cpu'));

  it('preflight reads the real adapter', async () => {
    const report = await webgpuPreflight({ tensors: [{ name: 'embedding', shape: [50257, 768] }] });
    expect(report.limits.maxBindingBytes).toBe(gpu.backend!.device.limits.maxStorageBufferBindingSize);
    // 50257 * 768 * 4 = 154,389,504 B: over the 128 MiB default, under this adapter's real limit
    expect(report.tensors[0].bytes).toBe(154389504);
    expect(report.tensors[0].fits).toBe(report.limits.maxBindingBytes >= 154389504);
  });

  it('auto skips a fallback adapter', async () => {
    const lines: string[] = [];
    const selection = await selectBackend('auto', { log: (line) => lines.push(line) });
    if (selection.adapter?.isFallbackAdapter) {
      const cpuPath = registeredBackends().includes('wasm') ? 'wasm' : 'cpu';
      expect(selection.backend).toBe(cpuPath);
      expect(selection.reason).toContain('fallback');
    } else {
      expect(selection.backend).toBe('webgpu');
    }
    expect(currentBackendName()).toBe(selection.backend);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(selection.backend);
  });

  it('named choice logs nothing more', async () => {
    const lines: string[] = [];
    const selection = await selectBackend('webgpu', { log: (line) => lines.push(line) });
    expect(selection.backend).toBe('webgpu');
    expect(currentBackendName()).toBe('webgpu');
    expect(lines).toEqual([]);
  });
});
