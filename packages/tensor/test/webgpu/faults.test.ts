// Known fault classes of WebGPU tensor runtimes, each pinned with a small input and an expected value
// worked out by hand: argmax ties across workgroups, work over the binding limit, fully masked
// softmax rows, grids of more than 65,535 workgroups, view and buffer lifetimes, lost devices and
// bad indices.
import { describe, expect, it } from 'vitest';
import * as T from '../../src/index.js';
import { BackendError, fromArray, memory, scope, scopeAsync, type Tensor } from '../../src/index.js';
import {
  initWebGPU,
  WebGPUDeviceLostError,
  WebGPUDriverError,
  WebGPUIndexError,
  WebGPULimitError,
} from '../../src/backends/webgpu/index.js';
import { checkNoLeaks } from '../helpers.js';
import { checkGpuBuffers, setupWebGPU, titled } from './gpu.js';

checkNoLeaks();
const gpu = await setupWebGPU();
checkGpuBuffers(gpu);

const F32_MIN = -3.4028234663852886e38;
const INF = Number.POSITIVE_INFINITY;
const on = (values: number[], shape: number[] = [values.length]) =>
  fromArray(values, shape, { backend: 'webgpu' });

async function valuesOf(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe.skipIf(!gpu.backend)(titled('webgpu known faults', gpu), () => {
  describe('argmax ties return the first index', () => {
    it('two equal maxima in a short row', async () => {
      await scopeAsync(async () => expect(await valuesOf(on([1, 3, 3, 2]).argmax())).toEqual([1]));
    });

    it('all equal elements', async () => {
      await scopeAsync(async () => expect(await valuesOf(on([5, 5, 5, 5]).argmax())).toEqual([0]));
    });

    it('maxima in different workgroups', async () => {
      // rows longer than 512 are split over workgroups of 512 elements: 100 and 900 land in two of them
      const values = new Array<number>(1024).fill(0);
      values[100] = 7;
      values[900] = 7;
      await scopeAsync(async () => expect(await valuesOf(on(values).argmax())).toEqual([100]));
    });

    it('ties across many workgroups and rows', async () => {
      // row 0 has maxima at 2999 and 100 (the first wins), row 1 argmin ties at 4000 and 4001
      const row0 = new Array<number>(5000).fill(1);
      row0[2999] = 9;
      row0[100] = 9;
      const row1 = new Array<number>(5000).fill(1);
      row1[4000] = -3;
      row1[4001] = -3;
      await scopeAsync(async () => {
        const x = on([...row0, ...row1], [2, 5000]);
        expect(await valuesOf(x.argmax(1))).toEqual([100, 0]);
        expect(await valuesOf(x.argmin(1))).toEqual([0, 4000]);
      });
    });
  });

  describe('binding limit lowered to 1 KiB', () => {
    it('elementwise op over the limit is chunked', async () => {
      const small = await initWebGPU({ name: 'webgpu-1k', maxBindingBytes: 1024 });
      try {
        await scopeAsync(async () => {
          // [3, 100] f32 is 1200 B, over the 1024 B limit: y = x * 2 must still be all 2
          const x = T.ones([3, 100], { backend: 'webgpu-1k' });
          const y = x.mul(2);
          const values = await valuesOf(y);
          expect(values.length).toBe(300);
          expect(values.filter((v) => v !== 2)).toEqual([]);
          const offset = await valuesOf(
            T.arange(0, 400, 1, { dtype: 'f32', backend: 'webgpu-1k' }).slice([37]).add(1),
          );
          expect(offset[0]).toBe(38);
          expect(offset[362]).toBe(400);
        });
      } finally {
        small.destroy();
      }
    });

    it('op that cannot be split throws the limit', async () => {
      const small = await initWebGPU({ name: 'webgpu-1k', maxBindingBytes: 1024 });
      try {
        scope(() => {
          const x = T.ones([3, 100], { backend: 'webgpu-1k' });
          let error: unknown = null;
          try {
            x.sum(1);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(WebGPULimitError);
          const limitError = error as WebGPULimitError;
          expect(limitError.limit).toContain('maxStorageBufferBindingSize');
          expect(limitError.requested).toBe(1200);
          expect(limitError.maximum).toBe(1024);
          expect(() => x.transpose().mul(2)).toThrow(WebGPULimitError);
        });
      } finally {
        small.destroy();
      }
    });
  });

  describe('softmax of fully masked and extreme rows', () => {
    it('matches the fixed answers', async () => {
      await scopeAsync(async () => {
        const rows = on([-INF, -INF, -INF, F32_MIN, F32_MIN, -1000, -1000, F32_MIN, 0], [3, 3]);
        const a = await valuesOf(on([-INF, -INF, -INF]).softmax());
        expect(a).toEqual([0, 0, 0]);
        const b = await valuesOf(on([F32_MIN, F32_MIN]).softmax());
        expect(b).toEqual([0.5, 0.5]);
        const c = await valuesOf(on([-1000, -1000]).softmax());
        expect(c).toEqual([0.5, 0.5]);
        const d = await valuesOf(on([F32_MIN, 0]).softmax());
        expect(d).toEqual([0, 1]);
        expect((await valuesOf(rows.softmax())).some(Number.isNaN)).toBe(false);
      });
    });

    it('fully masked attention row gives zeros', async () => {
      await scopeAsync(async () => {
        const q = T.ones([1, 1, 2, 2], { backend: 'webgpu' });
        const k = T.ones([1, 1, 3, 2], { backend: 'webgpu' });
        const v = T.ones([1, 1, 3, 2], { backend: 'webgpu' });
        const mask = fromArray([0, 0, 0, 1, 0, 1], [2, 3], { dtype: 'bool', backend: 'webgpu' });
        // row 0 attends to nothing, row 1 averages two rows of ones
        expect(await valuesOf(T.attention(q, k, v, { mask }))).toEqual([0, 0, 1, 1]);
      });
    });
  });

  it('grid over 65535 workgroups covers every element', async () => {
    await scopeAsync(async () => {
      const n = 64 * 65536 + 64; // 65,537 workgroups of 64 threads
      const y = T.arange(0, n, 1, { dtype: 'f32', backend: 'webgpu' }).add(1);
      const values = await y.data();
      expect(values[n - 1]).toBe(4194368);
      expect(values[65536 * 64]).toBe(4194305);
      let wrong = 0;
      for (let i = 0; i < n; i++) if (values[i] !== i + 1) wrong += 1;
      expect(wrong).toBe(0);
    });
  });

  describe('views release their shared buffer', () => {
    it('in either order, 1000 times', async () => {
      const start = memory();
      const startGpu = gpu.backend!.stats();
      const v0 = await scopeAsync(async () => {
        const x = T.ones([4, 4], { backend: 'webgpu' });
        const v = x.slice([0, 0], [2, 4]);
        x.dispose();
        // the view keeps the buffer alive after its source is gone
        return Array.from(await v.data());
      });
      expect(v0).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      expect(memory()).toEqual(start);
      const createdAt: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const x = T.ones([4, 4], { backend: 'webgpu' });
        const v = x.slice([0, 0], [2, 4]);
        if (i % 2 === 0) {
          v.dispose();
          x.dispose();
        } else {
          x.dispose();
          v.dispose();
        }
        if (i === 499 || i === 999) createdAt.push(gpu.backend!.stats().pool.created);
      }
      expect(memory()).toEqual(start);
      expect(gpu.backend!.stats().liveBuffers).toBe(startGpu.liveBuffers);
      // buffers freed during a batch return to the pool at its submit, so the second 500 passes
      // reuse the buffers of the first and create none
      expect(createdAt[1] - createdAt[0]).toBe(0);
    });
  });

  describe('errors are typed, never hangs or zeros', () => {
    it('f64 is rejected with the dtype named', () => {
      expect(() => fromArray([1, 2], [2], { dtype: 'f64', backend: 'webgpu' })).toThrow(/f64/);
      expect(() => fromArray([1, 2], [2], { dtype: 'f64', backend: 'webgpu' })).toThrow(BackendError);
    });

    it('bad gather index fails the next read', async () => {
      await scopeAsync(async () => {
        const x = on([1, 2, 3, 4], [1, 4]);
        const index = fromArray([0, 7], [1, 2], { dtype: 'i32', backend: 'webgpu' });
        const picked = x.gather(1, index);
        const error = await picked.data().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WebGPUIndexError);
        expect((error as WebGPUIndexError).op).toBe('gather');
        expect((error as WebGPUIndexError).index).toBe(7);
        expect((error as WebGPUIndexError).size).toBe(4);
        // the flag is cleared: the next read succeeds
        expect(await valuesOf(x.add(1))).toEqual([2, 3, 4, 5]);
      });
    });

    it('driver validation error surfaces on read', async () => {
      await scopeAsync(async () => {
        const x = on([1, 2]);
        // usage 0 is invalid: the driver reports it as an uncaptured validation error
        gpu.backend!.device.createBuffer({ size: 4, usage: 0 });
        const error = await x.data().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WebGPUDriverError);
        expect((error as WebGPUDriverError).driverMessage.length).toBeGreaterThan(0);
      });
    });

    it('lost device fails pending and later work', async () => {
      const doomed = await initWebGPU({ name: 'webgpu-lost' });
      await scopeAsync(async () => {
        const x = T.ones([1000], { backend: 'webgpu-lost' });
        const pending = x.mul(3).data();
        doomed.device.destroy();
        const error = await pending.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WebGPUDeviceLostError);
        expect(() => x.add(1)).toThrow(WebGPUDeviceLostError);
        await expect(x.data()).rejects.toBeInstanceOf(WebGPUDeviceLostError);
      });
    });
  });

  it('dispatches submit in batches without reads', () => {
    const before = gpu.backend!.stats().submits;
    scope(() => {
      let x = T.ones([8], { backend: 'webgpu' });
      for (let i = 0; i < 130; i++) x = x.add(1);
    });
    // 64 dispatches per batch: two batches went out while no read was waiting
    expect(gpu.backend!.stats().submits - before).toBeGreaterThanOrEqual(2);
    gpu.backend!.flush();
  });
});
