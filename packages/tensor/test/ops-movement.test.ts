import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ArgumentError, scope, ShapeError, type Tensor, tensor } from '../src/index.js';
import {
  checkNoLeaks,
  expectAllClose,
  expectGradcheck,
  randomTensor,
  stridesOf,
  valuesOf,
} from './helpers.js';

checkNoLeaks();

const f64 = (values: T.NestedArray) => tensor(values, { dtype: 'f64' });
/** 0, 1, ..., n-1 as f64 in the given shape, so every element shows where it came from. */
const counting = (shape: number[]) =>
  T.reshape(
    T.arange(
      0,
      shape.reduce((p, q) => p * q, 1),
      1,
      { dtype: 'f64' },
    ),
    shape,
  );

/** Row-major values of `shape` where element (i0, i1, ...) is `valueAt([i0, i1, ...])`. */
function build(shape: number[], valueAt: (index: number[]) => number): number[] {
  const size = shape.reduce((p, q) => p * q, 1);
  const strides = stridesOf(shape);
  return Array.from({ length: size }, (_, flat) =>
    valueAt(shape.map((d, axis) => Math.floor(flat / strides[axis]) % d)),
  );
}

describe('reshape and friends', () => {
  it('reshape infers -1 and keeps order', () => {
    scope(() => {
      const y = T.reshape(counting([2, 3, 4]), [4, -1]);
      expect(y.shape).toEqual([4, 6]);
      expectAllClose(
        y,
        build([4, 6], ([i, j]) => i * 6 + j),
        { atol: 0 },
      );
    });
  });

  it('reshape of a transposed view reads it row-major', () => {
    scope(() => {
      const y = T.reshape(T.transpose(counting([2, 3])), [6]);
      expectAllClose(y, [0, 3, 1, 4, 2, 5], { atol: 0 });
    });
  });

  it('reshape to a wrong size raises ShapeError', () => {
    scope(() => {
      expect(() => T.reshape(counting([2, 3]), [4, 2])).toThrow(ShapeError);
      expect(() => T.reshape(counting([2, 3]), [4, -1])).toThrow(ShapeError);
    });
  });

  it('squeeze, unsqueeze and flatten change only the shape', () => {
    scope(() => {
      const x = counting([2, 1, 3, 1]);
      expect(T.squeeze(x).shape).toEqual([2, 3]);
      expect(T.squeeze(x, 1).shape).toEqual([2, 3, 1]);
      expect(T.unsqueeze(counting([2, 3]), -1).shape).toEqual([2, 3, 1]);
      expect(T.unsqueeze(counting([2, 3]), 0).shape).toEqual([1, 2, 3]);
      expect(T.flatten(counting([2, 3, 4]), 1).shape).toEqual([2, 12]);
      expect(T.flatten(f64(5)).shape).toEqual([1]);
      expectAllClose(T.flatten(x), [0, 1, 2, 3, 4, 5], { atol: 0 });
      expect(() => T.squeeze(x, 0)).toThrow(ShapeError);
    });
  });

  it('same-shape views of a transposed tensor keep its layout', () => {
    scope(() => {
      // detach, view and reshape to the same shape must not reinterpret the strides as row-major
      const t = T.transpose(counting([2, 3])); // (3, 2): [[0, 3], [1, 4], [2, 5]]
      expectAllClose(t.detach(), [0, 3, 1, 4, 2, 5], { atol: 0 });
      expectAllClose(T.reshape(t, [3, 2]), [0, 3, 1, 4, 2, 5], { atol: 0 });
      expectAllClose(T.broadcastTo(t, [3, 2]), [0, 3, 1, 4, 2, 5], { atol: 0 });
      expectAllClose(T.dropout(t, 0.5, false), [0, 3, 1, 4, 2, 5], { atol: 0 });
      expectAllClose(t.contiguous(), [0, 3, 1, 4, 2, 5], { atol: 0 });
    });
  });

  it('reshape gradient matches finite differences', () => {
    scope(() => {
      expectGradcheck(
        (x) => T.mul(T.reshape(T.transpose(x), [3, 2]), T.reshape(x, [3, 2])),
        [randomTensor([2, 3], 71)],
      );
    });
  });
});

describe('permute, transpose and broadcast', () => {
  it('permute moves axes', () => {
    scope(() => {
      const y = T.permute(counting([2, 3, 4]), [2, 0, 1]); // (4, 2, 3)
      expect(y.shape).toEqual([4, 2, 3]);
      expectAllClose(
        y,
        build([4, 2, 3], ([k, i, j]) => i * 12 + j * 4 + k),
        { atol: 0 },
      );
      expect(() => T.permute(counting([2, 3]), [0, 0])).toThrow(ArgumentError);
    });
  });

  it('transpose swaps two axes', () => {
    scope(() => {
      expectAllClose(
        T.transpose(counting([2, 3, 4]), 0, 2),
        build([4, 3, 2], ([k, j, i]) => i * 12 + j * 4 + k),
        { atol: 0 },
      );
    });
  });

  it('broadcastTo repeats size-1 axes', () => {
    scope(() => {
      const y = T.broadcastTo(f64([[1], [2], [3]]), [2, 3, 4]);
      expectAllClose(
        y,
        build([2, 3, 4], ([, j]) => j + 1),
        { atol: 0 },
      );
      expectAllClose(f64([7]).expand([2]), [7, 7], { atol: 0 });
      expect(() => T.broadcastTo(counting([3, 2]), [3, 4])).toThrow(ShapeError);
    });
  });

  it('view gradients match finite differences', () => {
    scope(() => {
      const x = randomTensor([2, 3, 2], 72);
      expectGradcheck((t) => T.mul(T.permute(t, [2, 0, 1]), T.permute(t, [2, 0, 1])), [x]);
      expectGradcheck((t) => T.broadcastTo(T.slice(t, [0, 1], [2, 2]), [4, 2, 1, 2]), [x]);
    });
  });
});

describe('slice, narrow and split', () => {
  it('slice with negative starts, open ends and steps', () => {
    scope(() => {
      const y = T.slice(counting([5, 6]), [1, -5], [null, 5], [2, 2]); // rows 1 and 3, columns 1 and 3
      expect(y.shape).toEqual([2, 2]);
      expectAllClose(y, [7, 9, 19, 21], { atol: 0 });
      expectAllClose(T.slice(y, [1], [2]), [19, 21], { atol: 0 });
    });
  });

  it('slice past the end is empty', () => {
    scope(() => {
      expect(T.slice(counting([5, 6]), [4, 7]).shape).toEqual([1, 0]);
      expect(T.slice(counting([5]), [3], [1]).shape).toEqual([0]);
      expect(() => T.slice(counting([5]), [0], [5], [0])).toThrow(ArgumentError);
    });
  });

  it('slice gradient scatters into the source', () => {
    scope(() => {
      const x = f64([1, 2, 3, 4, 5]).setRequiresGrad();
      T.sum(T.mul(T.slice(x, [0], [5], [2]), f64([10, 20, 30]))).backward();
      expectAllClose(x.grad!, [10, 0, 20, 0, 30], { atol: 0 });
      expectGradcheck((t) => T.slice(T.transpose(t), [1, 0], [3, 3], [1, 2]), [randomTensor([3, 3], 73)]);
    });
  });

  it('narrow and split along an axis', () => {
    scope(() => {
      const x = counting([2, 5]);
      expectAllClose(T.narrow(x, 1, 1, 2), [1, 2, 6, 7], { atol: 0 });
      const pieces = T.split(x, 2, 1);
      expect(pieces.map((p) => p.shape)).toEqual([
        [2, 2],
        [2, 2],
        [2, 1],
      ]);
      expectAllClose(pieces[2], [4, 9], { atol: 0 });
      const listed = T.split(x, [1, 4], 1);
      expectAllClose(listed[1], [1, 2, 3, 4, 6, 7, 8, 9], { atol: 0 });
      expect(() => T.split(x, [1, 1], 1)).toThrow(ArgumentError);
      expect(() => T.narrow(x, 1, 4, 2)).toThrow(ArgumentError);
    });
  });

  it('split gradient matches finite differences', () => {
    scope(() => {
      expectGradcheck(
        (t) => {
          const [a, b] = T.split(t, [1, 2], 0);
          return T.mul(T.broadcastTo(a, [2, 3]), b);
        },
        [randomTensor([3, 3], 74)],
      );
    });
  });
});

describe('concat, stack and pad', () => {
  it('concat joins along any axis', () => {
    scope(() => {
      const a = counting([2, 2]);
      const b = T.add(counting([2, 1]), 10);
      expectAllClose(T.concat([a, b], 1), [0, 1, 10, 2, 3, 11], { atol: 0 });
      expectAllClose(T.concat([a, T.transpose(a)], 0), [0, 1, 2, 3, 0, 2, 1, 3], { atol: 0 });
      expectAllClose(T.concat([T.zeros([0, 2], { dtype: 'f64' }), a], 0), [0, 1, 2, 3], { atol: 0 });
      expect(() => T.concat([a, counting([3, 3])], 0)).toThrow(ShapeError);
    });
  });

  it('stack adds a new axis', () => {
    scope(() => {
      const a = f64([1, 2]);
      const b = f64([3, 4]);
      expectAllClose(T.stack([a, b], 0), [1, 2, 3, 4], { atol: 0 });
      const last = T.stack([a, b], -1);
      expect(last.shape).toEqual([2, 2]);
      expectAllClose(last, [1, 3, 2, 4], { atol: 0 });
    });
  });

  it('concat and stack gradients match finite differences', () => {
    scope(() => {
      const a = randomTensor([2, 3], 75);
      const b = randomTensor([2, 2], 76);
      expectGradcheck((x, y) => T.concat([x, T.exp(y), x], 1), [a, b]);
      expectGradcheck((x) => T.stack([x, T.mul(x, x)], 1), [a]);
    });
  });

  it('pad surrounds with a constant', () => {
    scope(() => {
      const y = T.pad(
        f64([
          [1, 2],
          [3, 4],
        ]),
        [
          [1, 0],
          [0, 2],
        ],
        -1,
      ); // (3, 4)
      expectAllClose(y, [-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1], { atol: 0 });
      expectAllClose(T.pad(T.zeros([0, 1]), [[1, 1]], 5), [5, 5], { atol: 0 });
      expect(() => T.pad(f64([1]), [[-1, 0]])).toThrow(ArgumentError);
    });
  });

  it('pad of a stepped slice and its gradient', () => {
    scope(() => {
      const x = counting([3, 4]);
      expectAllClose(
        T.pad(T.slice(x, [0, 0], [3, 4], [2, 3]), [
          [0, 0],
          [1, 0],
        ]),
        [0, 0, 3, 0, 8, 11],
        { atol: 0 },
      );
      expectGradcheck(
        (t) =>
          T.pad(
            T.transpose(t),
            [
              [2, 1],
              [0, 1],
            ],
            3,
          ),
        [randomTensor([2, 3], 77)],
      );
    });
  });
});

describe('indexing ops', () => {
  it('gather picks along an axis', () => {
    scope(() => {
      const x = f64([
        [10, 11, 12],
        [20, 21, 22],
      ]);
      const columns = tensor(
        [
          [2, 0],
          [1, 1],
        ],
        { dtype: 'i32' },
      );
      expectAllClose(T.gather(x, 1, columns), [12, 10, 21, 21], { atol: 0 });
      const rows = tensor([[1, 0, 1]], { dtype: 'i32' });
      expectAllClose(T.gather(x, 0, rows), [20, 11, 22], { atol: 0 });
      expectAllClose(T.gather(T.transpose(x), 1, tensor([[1], [0], [1]], { dtype: 'i32' })), [20, 11, 22], {
        atol: 0,
      });
      expect(() => T.gather(x, 1, tensor([[3]], { dtype: 'i32' }))).toThrow(ArgumentError);
    });
  });

  it('gather gradient adds up repeated picks', () => {
    scope(() => {
      const x = f64([[1, 2, 3]]).setRequiresGrad();
      T.sum(T.gather(x, 1, tensor([[2, 2, 0, 2]], { dtype: 'i32' }))).backward();
      expectAllClose(x.grad!, [1, 0, 3], { atol: 0 });
      expectGradcheck(
        (t) =>
          T.gather(
            t,
            0,
            tensor(
              [
                [1, 0],
                [1, 1],
                [0, 0],
              ],
              { dtype: 'i32' },
            ),
          ),
        [randomTensor([2, 2], 78)],
      );
    });
  });

  it('indexSelect takes whole slices', () => {
    scope(() => {
      const x = counting([3, 4]);
      expectAllClose(
        T.indexSelect(x, 0, tensor([2, 0, 2], { dtype: 'i32' })),
        [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11],
        { atol: 0 },
      );
      expectAllClose(T.indexSelect(x, 1, tensor([3, 1], { dtype: 'i32' })), [3, 1, 7, 5, 11, 9], { atol: 0 });
      expect(T.indexSelect(x, 0, tensor([], { dtype: 'i32' })).shape).toEqual([0, 4]);
      const broadcast = T.broadcastTo(f64([[1, 2]]), [3, 2]);
      expectAllClose(T.indexSelect(broadcast, 1, tensor([1], { dtype: 'i32' })), [2, 2, 2], { atol: 0 });
      expectGradcheck(
        (t) => T.indexSelect(t, 1, tensor([0, 2, 0], { dtype: 'i32' })),
        [randomTensor([2, 3], 79)],
      );
    });
  });

  it('scatterAdd adds duplicates', () => {
    scope(() => {
      const base = f64([
        [1, 1, 1],
        [2, 2, 2],
      ]);
      const index = tensor(
        [
          [0, 0, 2],
          [1, 1, 1],
        ],
        { dtype: 'i32' },
      );
      const source = f64([
        [10, 20, 30],
        [1, 2, 3],
      ]);
      expectAllClose(T.scatterAdd(base, 1, index, source), [31, 1, 31, 2, 8, 2], { atol: 0 });
      // a transposed source is read at the index positions of its view
      const sourceT = T.transpose(
        f64([
          [10, 1],
          [20, 2],
          [30, 3],
        ]),
      );
      expectAllClose(T.scatterAdd(base, 1, index, sourceT), [31, 1, 31, 2, 8, 2], { atol: 0 });
    });
  });

  it('scatterAdd and indexAdd accumulate in double', () => {
    scope(() => {
      // 1 + 4 * 2^-24 = 1 + 2^-22 is exact in f32, but each single f32 step 1 + 2^-24 rounds back to 1
      const tiny = 2 ** -24;
      const index = tensor([[0, 0, 0, 0]], { dtype: 'i32' });
      expect(valuesOf(T.scatterAdd(tensor([[1]]), 1, index, tensor([[tiny, tiny, tiny, tiny]])))).toEqual([
        1 + 2 ** -22,
      ]);
      const rows = tensor([0, 0, 0, 0], { dtype: 'i32' });
      expect(valuesOf(T.indexAdd(tensor([1]), 0, rows, tensor([tiny, tiny, tiny, tiny])))).toEqual([
        1 + 2 ** -22,
      ]);
    });
  });

  it('scatterAdd gradient reaches base and source', () => {
    scope(() => {
      const index = tensor(
        [
          [1, 0],
          [1, 1],
        ],
        { dtype: 'i32' },
      );
      expectGradcheck(
        (b, s) => T.scatterAdd(b, 0, index, s),
        [randomTensor([2, 3], 80), randomTensor([2, 2], 81)],
      );
      // a source larger than the index: its extra entries take no part and get zero gradient
      expectGradcheck(
        (b, s) => T.scatterAdd(b, 0, index, s),
        [randomTensor([2, 3], 82), randomTensor([3, 3], 83)],
      );
    });
  });

  it('indexAdd adds whole slices', () => {
    scope(() => {
      const y = T.indexAdd(
        T.zeros([3, 2], { dtype: 'f64' }),
        0,
        tensor([2, 0, 2], { dtype: 'i32' }),
        f64([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      );
      expectAllClose(y, [3, 4, 0, 0, 6, 8], { atol: 0 });
      const index = tensor([1, 1], { dtype: 'i32' });
      expectGradcheck(
        (b, s) => T.indexAdd(b, 1, index, s),
        [randomTensor([2, 3], 84), randomTensor([2, 2], 85)],
      );
    });
  });

  it('oneHot encodes class indices', () => {
    scope(() => {
      const y = T.oneHot(tensor([2, 0, 1], { dtype: 'i32' }), 3);
      expect(y.shape).toEqual([3, 3]);
      expect(y.dtype).toBe('f32');
      expect(valuesOf(y)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
      expect(T.oneHot(tensor([1], { dtype: 'i32' }), 2, 'i32').dtype).toBe('i32');
      expect(T.oneHot(tensor([], { dtype: 'i32' }), 4).shape).toEqual([0, 4]);
      expect(() => T.oneHot(tensor([-1], { dtype: 'i32' }), 3)).toThrow(ArgumentError);
      expect(() => T.oneHot(tensor([3], { dtype: 'i32' }), 3)).toThrow(ArgumentError);
    });
  });
});

describe('tril and triu', () => {
  const cases: [string, (x: Tensor, k: number) => Tensor, (i: number, j: number, k: number) => boolean][] = [
    ['tril', T.tril, (i, j, k) => j <= i + k],
    ['triu', T.triu, (i, j, k) => j >= i + k],
  ];

  it.each(cases)('%s keeps the right triangle for k in -1..1', (_name, op, keeps) => {
    scope(() => {
      for (const k of [-1, 0, 1]) {
        const y = op(counting([2, 3, 4]), k);
        expectAllClose(
          y,
          build([2, 3, 4], ([b, i, j]) => (keeps(i, j, k) ? b * 12 + i * 4 + j : 0)),
          { atol: 0 },
        );
      }
    });
  });

  it.each(cases)('%s of a transposed view and its gradient', (_name, op, keeps) => {
    scope(() => {
      const y = op(T.transpose(counting([3, 3])), 0);
      expectAllClose(
        y,
        build([3, 3], ([i, j]) => (keeps(i, j, 0) ? j * 3 + i : 0)),
        { atol: 0 },
      );
      expectGradcheck((t) => op(t, 1), [randomTensor([3, 4], 86)]);
      expect(op(T.zeros([0, 0]), 0).shape).toEqual([0, 0]);
      expect(() => op(f64([1, 2]), 0)).toThrow(ShapeError);
    });
  });
});
