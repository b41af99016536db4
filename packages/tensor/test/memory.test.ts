import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { DisposedError, keep, memory, scope, scopeAsync, type Tensor, tensor } from '../src/index.js';
import { checkNoLeaks, expectGradcheck, expectMemoryUnchanged, randomTensor, valuesOf } from './helpers.js';

checkNoLeaks();

describe('views share storage', () => {
  it('disposing view then source frees everything', () => {
    const start = memory();
    const x = T.ones([4, 4]);
    const v = x.slice([0, 0], [2, 4]);
    expect(memory()).toEqual({
      tensors: start.tensors + 2,
      buffers: start.buffers + 1,
      bytes: start.bytes + 64,
    });
    v.dispose();
    x.dispose();
    expect(memory()).toEqual(start);
  });

  it('a view outlives its disposed source', () => {
    const start = memory();
    const x = T.ones([4, 4]);
    const v = x.slice([0, 0], [2, 4]);
    x.dispose();
    // the buffer stays alive while the view references it
    expect(memory()).toEqual({
      tensors: start.tensors + 1,
      buffers: start.buffers + 1,
      bytes: start.bytes + 64,
    });
    expect(valuesOf(v)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    v.dispose();
    expect(memory()).toEqual(start);
  });

  it('1000 passes in both orders return to the start', () => {
    const start = memory();
    for (let pass = 0; pass < 1000; pass++) {
      const x = T.ones([4, 4]);
      const v = x.slice([0, 0], [2, 4]);
      if (pass % 2 === 0) {
        v.dispose();
        x.dispose();
      } else {
        x.dispose();
        expect(v.dataSync().length).toBe(8);
        v.dispose();
      }
      expect(memory()).toEqual(start);
    }
  });

  it('views of views and reads of strided views', () => {
    expectMemoryUnchanged(() => {
      const flat = T.arange(0, 12, 1, { dtype: 'f32' });
      const x = T.reshape(flat, [3, 4]);
      const t = T.transpose(x);
      const s = t.slice([1, 0], [4, 3], [2, 2]);
      flat.dispose();
      x.dispose();
      t.dispose();
      // reading a strided view makes a temporary contiguous copy, which must be freed again
      expect(valuesOf(s)).toEqual([1, 9, 3, 11]);
      s.dispose();
    });
  });

  it('disposing twice is a no-op', () => {
    expectMemoryUnchanged(() => {
      const x = T.ones([2]);
      x.dispose();
      x.dispose();
      expect(x.isDisposed).toBe(true);
      expect(() => T.neg(x)).toThrow(DisposedError);
    });
  });

  it('bytes follow the dtype', () => {
    const start = memory().bytes;
    const sizes: [T.DType, number][] = [
      ['f32', 4],
      ['f64', 8],
      ['i32', 4],
      ['bool', 1],
    ];
    for (const [dtype, bytes] of sizes) {
      const t = T.zeros([3, 5], { dtype });
      expect(memory().bytes - start, dtype).toBe(15 * bytes);
      t.dispose();
    }
  });
});

describe('scope', () => {
  it('frees intermediates and keeps what it returns', () => {
    const start = memory();
    const { total, parts } = scope(() => {
      const a = T.ones([3]);
      const b = T.mul(a, 2);
      return { total: T.sum(b), parts: [b] };
    });
    expect(memory().tensors).toBe(start.tensors + 2);
    expect(valuesOf(total)).toEqual([6]);
    total.dispose();
    parts[0].dispose();
    expect(memory()).toEqual(start);
  });

  it('nested scopes hand results to the parent', () => {
    expectMemoryUnchanged(() => {
      scope(() => {
        const inner = scope(() => T.add(T.ones([2]), 1));
        expect(inner.isDisposed).toBe(false);
        return undefined;
      });
    });
  });

  it('keep survives every scope', () => {
    const start = memory();
    let kept: Tensor | null = null;
    scope(() => {
      scope(() => {
        kept = keep(T.ones([2]));
      });
    });
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
    expect(memory()).toEqual(start);
  });

  it('a throwing body still frees its tensors', () => {
    expectMemoryUnchanged(() => {
      expect(() =>
        scope(() => {
          T.ones([5]);
          throw new Error('stop');
        }),
      ).toThrow('stop');
    });
  });

  it('scopeAsync frees after the await', async () => {
    const start = memory();
    const value = await scopeAsync(async () => {
      const x = T.mul(T.ones([3]), 4);
      return (await T.sum(x).data())[0];
    });
    expect(value).toBe(12);
    expect(memory()).toEqual(start);
  });
});

describe('no leaks across op families', () => {
  it('forward and backward of every family', () => {
    const start = memory();
    const x = randomTensor([2, 3, 4], 191).setRequiresGrad();
    const w = randomTensor([4, 4], 192).setRequiresGrad();
    scope(() => {
      const h = T.gelu(T.matmul(T.layerNorm(x), w)); // (2, 3, 4)
      const q = T.reshape(h, [2, 1, 3, 4]);
      const attended = T.attention(q, q, q, { causal: true });
      const picked = T.gather(
        T.cumsum(T.transpose(T.squeeze(attended, 1)), 1),
        2,
        tensor(
          [
            [[0], [1], [2], [0]],
            [[1], [1], [1], [1]],
          ],
          { dtype: 'i32' },
        ),
      );
      const padded = T.pad(T.concat([picked, T.sort(picked, 1).values], 2), [
        [0, 0],
        [1, 1],
      ]);
      const loss = T.add(
        T.crossEntropy(T.reshape(h, [6, 4]), tensor([0, 1, 2, 3, 0, -100], { dtype: 'i32' })),
        T.logsumexp(padded),
      );
      loss.backward();
    });
    expect(memory().tensors).toBe(start.tensors + 4);
    for (const t of [x, w]) t.dispose();
    expect(memory()).toEqual(start);
  });

  it('gradcheck and second-order grad leave nothing', () => {
    const x = randomTensor([3], 193);
    expectMemoryUnchanged(() => {
      expectGradcheck((t) => T.softmax(t), [x]);
      scope(() => {
        T.grad((t: Tensor) => T.sum(T.grad((u: Tensor) => T.sum(T.exp(T.mul(u, u))))(t)[0]))(x);
      });
    });
    x.dispose();
  });

  it('random draws leave nothing', () => {
    expectMemoryUnchanged(() => {
      scope(() => {
        T.randn([10], { seed: 1 });
        T.categorical(T.zeros([2, 3]), 4, { seed: 2 });
        T.dropout(T.ones([8]), 0.5, true, { seed: 3 });
        T.bernoulli(0.5, [4], { seed: 4 });
      });
    });
  });
});
